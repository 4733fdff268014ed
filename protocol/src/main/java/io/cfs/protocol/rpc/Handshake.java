package io.cfs.protocol.rpc;

import io.cfs.protocol.Wire;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The challenge-response that opens every connection, proving to each side that the other holds
 * the cluster secret without sending it:
 *
 * <pre>
 * server -> client  AUTH_CHALLENGE  sn                      (32 random bytes)
 * client -> server  AUTH_RESPONSE   cn, HMAC(secret, "CFS-AUTH-1 client" | sn | cn)
 * server -> client  AUTH_ACCEPTED   HMAC(secret, "CFS-AUTH-1 server" | sn | cn)
 * </pre>
 *
 * HMAC is HMAC-SHA256. Both nonces are fresh on every connection, so a recorded exchange cannot be
 * replayed, and the two proofs differ by their label, so one side's proof is no use as the other's.
 * A wrong proof ends the connection: the server answers AUTHENTICATION_FAILED and closes, the client
 * closes. Until the server has accepted, it serves nothing and reads frames of at most {@link
 * #MAX_FRAME} bytes.
 */
final class Handshake {
    /** Largest frame (after the length field) the server reads before the client is authenticated. */
    static final int MAX_FRAME = 128;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] CLIENT = "CFS-AUTH-1 client".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER = "CFS-AUTH-1 server".getBytes(StandardCharsets.US_ASCII);

    private Handshake() {}

    /**
     * Loads and initializes the JCE classes and the random source once, so that the first handshake
     * of a daemon (timed by the calls waiting for it) does not pay for it on an event loop.
     */
    static void warmUp() {
        clientProof(new byte[Wire.NONCE], nonce(), nonce());
    }

    static byte[] nonce() {
        byte[] n = new byte[Wire.NONCE];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] clientProof(byte[] secret, byte[] serverNonce, byte[] clientNonce) {
        return hmac(secret, CLIENT, serverNonce, clientNonce);
    }

    static byte[] serverProof(byte[] secret, byte[] serverNonce, byte[] clientNonce) {
        return hmac(secret, SERVER, serverNonce, clientNonce);
    }

    /** Compares proofs in time independent of where they differ. */
    static boolean matches(byte[] expected, byte[] got) {
        return MessageDigest.isEqual(expected, got);
    }

    private static byte[] hmac(byte[] secret, byte[] label, byte[] serverNonce, byte[] clientNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(label);
            mac.update(serverNonce);
            mac.update(clientNonce);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
