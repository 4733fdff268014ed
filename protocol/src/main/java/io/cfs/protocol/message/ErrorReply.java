package io.cfs.protocol.message;

import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * The failure reply of any request.
 *
 * <p>Body: {@code u16 code | string detail}.
 */
public record ErrorReply(ErrorCode code, String detail) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.ERROR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeShort(code.code());
        Wire.writeString(out, detail);
    }

    public static ErrorReply decode(ByteBuf in) {
        return new ErrorReply(ErrorCode.of(in.readUnsignedShort()), Wire.readString(in));
    }
}
