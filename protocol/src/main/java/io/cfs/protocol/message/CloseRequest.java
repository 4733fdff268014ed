package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Closes a handle and releases its Usage Table count. Reply: {@link OkReply}.
 *
 * <p>Body: {@code i64 handle}.
 */
public record CloseRequest(long handle) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.CLOSE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(handle);
    }

    public static CloseRequest decode(ByteBuf in) {
        return new CloseRequest(in.readLong());
    }
}
