package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The client's answer to an {@link AuthChallenge}: its own fresh nonce and the HMAC-SHA256, keyed
 * with the cluster secret, of the transcript of both nonces (see {@link
 * io.cfs.protocol.rpc.Handshake}). Answer: {@link AuthAccepted}, or an AUTHENTICATION_FAILED
 * {@link ErrorReply} and the connection closed.
 *
 * <p>Body: {@code u8[32] clientNonce | u8[32] proof}.
 */
public record AuthResponse(byte[] clientNonce, byte[] proof) implements Message {
    public AuthResponse {
        Wire.checkNonce(clientNonce, "client nonce");
        Wire.checkNonce(proof, "client proof");
        clientNonce = clientNonce.clone();
        proof = proof.clone();
    }

    @Override
    public byte[] clientNonce() {
        return clientNonce.clone();
    }

    @Override
    public byte[] proof() {
        return proof.clone();
    }

    @Override
    public Opcode opcode() {
        return Opcode.AUTH_RESPONSE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeBytes(clientNonce);
        out.writeBytes(proof);
    }

    public static AuthResponse decode(ByteBuf in) {
        return new AuthResponse(Wire.readNonce(in), Wire.readNonce(in));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthResponse a && Arrays.equals(clientNonce, a.clientNonce) && Arrays.equals(proof, a.proof);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(clientNonce) + Arrays.hashCode(proof);
    }

    @Override
    public String toString() {
        return "AuthResponse[" + HexFormat.of().formatHex(clientNonce) + ", proof " + HexFormat.of().formatHex(proof) + "]";
    }
}
