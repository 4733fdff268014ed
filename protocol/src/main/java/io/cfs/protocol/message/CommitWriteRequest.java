package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Records written data: the size grows to {@code size} if larger, and mtime is set. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 handle | i64 size | Timespec mtime}.
 */
public record CommitWriteRequest(long handle, long size, Timespec mtime) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.COMMIT_WRITE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(handle);
        out.writeLong(size);
        mtime.encode(out);
    }

    public static CommitWriteRequest decode(ByteBuf in) {
        return new CommitWriteRequest(in.readLong(), in.readLong(), Timespec.decode(in));
    }
}
