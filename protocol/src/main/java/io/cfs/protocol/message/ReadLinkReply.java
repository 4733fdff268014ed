package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * A symbolic link's target.
 *
 * <p>Body: {@code string target}.
 */
public record ReadLinkReply(String target) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.READ_LINK_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, target);
    }

    public static ReadLinkReply decode(ByteBuf in) {
        return new ReadLinkReply(Wire.readString(in));
    }
}
