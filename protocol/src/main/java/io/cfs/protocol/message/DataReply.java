package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * The bytes read.
 *
 * <p>Body: {@code bytes data (the rest of the frame)}.
 */
public record DataReply(ByteBuf data) implements DataMessage {
    @Override
    public Opcode opcode() {
        return Opcode.DATA;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static DataReply decode(ByteBuf in) {
        return new DataReply(in.readRetainedSlice(in.readableBytes()));
    }
}
