package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks for the extents of an open file that overlap {@code [offset, offset+length)} (a range of a huge file's allocation list). Reply: {@link LayoutReply}.
 *
 * <p>Body: {@code i64 handle | i64 offset | i64 length}.
 */
public record GetLayoutRequest(long handle, long offset, long length) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.GET_LAYOUT;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeLong(length);
    }

    public static GetLayoutRequest decode(ByteBuf in) {
        return new GetLayoutRequest(in.readLong(), in.readLong(), in.readLong());
    }
}
