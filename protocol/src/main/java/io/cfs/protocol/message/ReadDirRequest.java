package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Lists up to {@code limit} entries of a directory, in name order, after {@code after} (empty: from the start). Reply: {@link ReadDirReply}.
 *
 * <p>Body: {@code i64 inode | string after | i32 limit}.
 */
public record ReadDirRequest(long inode, String after, int limit) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.READ_DIR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
        Wire.writeString(out, after);
        out.writeInt(limit);
    }

    public static ReadDirRequest decode(ByteBuf in) {
        return new ReadDirRequest(in.readLong(), Wire.readString(in), in.readInt());
    }
}
