package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * The success reply of a request that returns nothing.
 *
 * <p>Body: {@code empty}.
 */
public record OkReply() implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.OK;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static OkReply decode(ByteBuf in) {
        return new OkReply();
    }
}
