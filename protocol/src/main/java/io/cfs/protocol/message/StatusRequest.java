package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks the metadata server for the cluster's state. Reply: {@link StatusReply}.
 *
 * <p>Body: {@code empty}.
 */
public record StatusRequest() implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.STATUS;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static StatusRequest decode(ByteBuf in) {
        return new StatusRequest();
    }
}
