package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks for filesystem totals. Reply: {@link StatFsReply}.
 *
 * <p>Body: {@code empty}.
 */
public record StatFsRequest() implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.STAT_FS;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static StatFsRequest decode(ByteBuf in) {
        return new StatFsRequest();
    }
}
