package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Filesystem totals from the master volumes' real capacity and use.
 *
 * <p>Body: {@code i64 capacityBytes | i64 freeBytes | i64 files | i32 blockSize}.
 */
public record StatFsReply(long capacityBytes, long freeBytes, long files, int blockSize) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.STAT_FS_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(capacityBytes);
        out.writeLong(freeBytes);
        out.writeLong(files);
        out.writeInt(blockSize);
    }

    public static StatFsReply decode(ByteBuf in) {
        return new StatFsReply(in.readLong(), in.readLong(), in.readLong(), in.readInt());
    }
}
