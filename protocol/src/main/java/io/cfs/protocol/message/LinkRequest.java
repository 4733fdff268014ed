package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Makes a hard link {@code newName} in {@code newParent} to an existing non-directory inode. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 inode | i64 newParent | string newName}.
 */
public record LinkRequest(long inode, long newParent, String newName) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.LINK;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
        out.writeLong(newParent);
        Wire.writeString(out, newName);
    }

    public static LinkRequest decode(ByteBuf in) {
        return new LinkRequest(in.readLong(), in.readLong(), Wire.readString(in));
    }
}
