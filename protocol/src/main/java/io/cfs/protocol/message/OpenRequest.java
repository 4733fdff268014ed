package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Opens a file: the Usage Table assigns this opener a member of the file's pair. Reply: {@link OpenReply}.
 *
 * <p>Body: {@code i64 inode | u8 write}.
 */
public record OpenRequest(long inode, boolean write) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.OPEN;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
        out.writeBoolean(write);
    }

    public static OpenRequest decode(ByteBuf in) {
        return new OpenRequest(in.readLong(), in.readBoolean());
    }
}
