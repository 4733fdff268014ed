package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Looks up {@code name} in directory {@code parent}. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 parent | string name}.
 */
public record LookupRequest(long parent, String name) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.LOOKUP;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
    }

    public static LookupRequest decode(ByteBuf in) {
        return new LookupRequest(in.readLong(), Wire.readString(in));
    }
}
