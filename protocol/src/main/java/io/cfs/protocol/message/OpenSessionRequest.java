package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Binds this connection to a client session: a new one when {@code resume} is 0 or no longer known, else the session {@code resume} (after a reconnect) with its open handles. Reply: {@link SessionReply}.
 *
 * <p>Body: {@code string client | i64 resume}.
 */
public record OpenSessionRequest(String client, long resume) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.OPEN_SESSION;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, client);
        out.writeLong(resume);
    }

    public static OpenSessionRequest decode(ByteBuf in) {
        return new OpenSessionRequest(Wire.readString(in), in.readLong());
    }
}
