package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The first frame a server sends on every connection: a fresh random nonce the client must prove
 * it holds the cluster secret against (see {@link io.cfs.protocol.rpc.Handshake}). Answer: {@link
 * AuthResponse}.
 *
 * <p>Body: {@code u8[32] serverNonce}.
 */
public record AuthChallenge(byte[] serverNonce) implements Message {
    public AuthChallenge {
        Wire.checkNonce(serverNonce, "server nonce");
        serverNonce = serverNonce.clone();
    }

    @Override
    public byte[] serverNonce() {
        return serverNonce.clone();
    }

    @Override
    public Opcode opcode() {
        return Opcode.AUTH_CHALLENGE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeBytes(serverNonce);
    }

    public static AuthChallenge decode(ByteBuf in) {
        return new AuthChallenge(Wire.readNonce(in));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthChallenge a && Arrays.equals(serverNonce, a.serverNonce);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(serverNonce);
    }

    @Override
    public String toString() {
        return "AuthChallenge[" + HexFormat.of().formatHex(serverNonce) + "]";
    }
}
