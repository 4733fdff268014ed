package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Makes sure blocks back the file range {@code [offset, offset+length)} of an open file. Reply: {@link LayoutReply}.
 *
 * <p>Body: {@code i64 handle | i64 offset | i64 length}.
 */
public record AllocateRequest(long handle, long offset, long length) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.ALLOCATE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeLong(length);
    }

    public static AllocateRequest decode(ByteBuf in) {
        return new AllocateRequest(in.readLong(), in.readLong(), in.readLong());
    }
}
