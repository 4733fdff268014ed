package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Renews a session's lease; SESSION_EXPIRED when it is gone. Reply: {@link OkReply}.
 *
 * <p>Body: {@code i64 session}.
 */
public record KeepAliveRequest(long session) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.KEEP_ALIVE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(session);
    }

    public static KeepAliveRequest decode(ByteBuf in) {
        return new KeepAliveRequest(in.readLong());
    }
}
