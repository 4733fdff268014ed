package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * The session bound to the connection and its lease: the client must send KEEP_ALIVE well within it, or its opens are released.
 *
 * <p>Body: {@code i64 session | i32 leaseMillis}.
 */
public record SessionReply(long session, int leaseMillis) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.SESSION;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(session);
        out.writeInt(leaseMillis);
    }

    public static SessionReply decode(ByteBuf in) {
        return new SessionReply(in.readLong(), in.readInt());
    }
}
