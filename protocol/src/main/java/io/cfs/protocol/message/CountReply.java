package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * A count.
 *
 * <p>Body: {@code i64 count}.
 */
public record CountReply(long count) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.COUNT;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(count);
    }

    public static CountReply decode(ByteBuf in) {
        return new CountReply(in.readLong());
    }
}
