package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The server accepted an {@link AuthResponse}; {@code proof} is the server's own HMAC of the
 * transcript, so the client knows the server holds the secret too (see {@link
 * io.cfs.protocol.rpc.Handshake}). Requests may follow.
 *
 * <p>Body: {@code u8[32] proof}.
 */
public record AuthAccepted(byte[] proof) implements Message {
    public AuthAccepted {
        Wire.checkNonce(proof, "server proof");
        proof = proof.clone();
    }

    @Override
    public byte[] proof() {
        return proof.clone();
    }

    @Override
    public Opcode opcode() {
        return Opcode.AUTH_ACCEPTED;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeBytes(proof);
    }

    public static AuthAccepted decode(ByteBuf in) {
        return new AuthAccepted(Wire.readNonce(in));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthAccepted a && Arrays.equals(proof, a.proof);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(proof);
    }

    @Override
    public String toString() {
        return "AuthAccepted[" + HexFormat.of().formatHex(proof) + "]";
    }
}
