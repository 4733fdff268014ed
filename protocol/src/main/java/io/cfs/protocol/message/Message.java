package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * A request or reply on the wire. Each message is a record whose Javadoc gives its body layout
 * (after the frame header {@code i32 length | u16 opcode | i64 requestId}, see {@link
 * io.cfs.protocol.MessageCodec}); {@link Opcode} maps codes to decoders.
 */
public interface Message {
    Opcode opcode();

    /** Writes the fixed fields of the body; a {@link DataMessage}'s data is appended by the codec. */
    void encode(ByteBuf out);
}
