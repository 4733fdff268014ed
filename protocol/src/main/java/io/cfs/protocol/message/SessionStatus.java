package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * A client session: its id, the client's name, its open handles and the time left on its lease.
 *
 * <p>Wire: {@code i64 session | string client | i32 handles | i64 leaseLeftMillis}.
 */
public record SessionStatus(long session, String client, int handles, long leaseLeftMillis) {
    public void encode(ByteBuf out) {
        out.writeLong(session);
        Wire.writeString(out, client);
        out.writeInt(handles);
        out.writeLong(leaseLeftMillis);
    }

    public static SessionStatus decode(ByteBuf in) {
        return new SessionStatus(in.readLong(), Wire.readString(in), in.readInt(), in.readLong());
    }
}
