package io.cfs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cfs.protocol.Frames;
import io.cfs.protocol.Opcode;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A client on a plain socket that does the authentication handshake by hand, as its documentation
 * says (independently of {@link Handshake}), so tests can then send raw bytes as an authenticated peer.
 */
public final class RawPeer {
    private RawPeer() {}

    /** Connects without authenticating (reads time out after 5 s). */
    public static Socket connected(InetSocketAddress server) throws IOException {
        Socket s = new Socket(server.getAddress(), server.getPort());
        s.setSoTimeout(5000);
        return s;
    }

    /** Connects and authenticates with {@code secret}; the socket is ready for request frames. */
    public static Socket authenticated(InetSocketAddress server, byte[] secret) throws IOException {
        Socket s = new Socket(server.getAddress(), server.getPort());
        s.setSoTimeout(5000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertEquals(2 + 8 + 32, in.readInt(), "challenge frame length");
        assertEquals(Opcode.AUTH_CHALLENGE.code(), in.readUnsignedShort());
        long id = in.readLong();
        byte[] serverNonce = in.readNBytes(32);
        byte[] clientNonce = new byte[32];
        Arrays.fill(clientNonce, (byte) 7);
        byte[] proof = hmac(secret, "CFS-AUTH-1 client", serverNonce, clientNonce);
        s.getOutputStream().write(Frames.frameBytes(Opcode.AUTH_RESPONSE.code(), id, b -> {
            b.writeBytes(clientNonce);
            b.writeBytes(proof);
        }));
        s.getOutputStream().flush();
        assertEquals(2 + 8 + 32, in.readInt(), "accepted frame length");
        assertEquals(Opcode.AUTH_ACCEPTED.code(), in.readUnsignedShort());
        in.readLong();
        assertEquals(Arrays.toString(hmac(secret, "CFS-AUTH-1 server", serverNonce, clientNonce)),
                Arrays.toString(in.readNBytes(32)), "server proof");
        return s;
    }

    static byte[] hmac(byte[] key, String label, byte[] a, byte[] b) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.US_ASCII));
            mac.update(a);
            mac.update(b);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
