package io.cfs.protocol;

import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;

/** Field encodings shared by every message: strings are a u16 byte length then UTF-8. */
public final class Wire {
    /** Longest string field in bytes (a path component is at most 255; ids and details are short). */
    public static final int MAX_STRING = 4096;

    private Wire() {}

    public static void writeString(ByteBuf out, String s) {
        int lengthAt = out.writerIndex();
        out.writeShort(0);
        int n = ByteBufUtil.writeUtf8(out, s);
        if (n > MAX_STRING) {
            throw new IllegalArgumentException("string of " + n + " bytes: expected at most " + MAX_STRING);
        }
        out.setShort(lengthAt, n);
    }

    public static String readString(ByteBuf in) {
        int n = in.readUnsignedShort();
        if (n > MAX_STRING || n > in.readableBytes()) {
            throw new CorruptedFrameException("string of " + n + " bytes with " + in.readableBytes()
                    + " left: expected at most " + Math.min(MAX_STRING, in.readableBytes()));
        }
        String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
        in.skipBytes(n);
        return s;
    }

    /** A count of following items, checked against what the frame can hold. */
    public static int readCount(ByteBuf in, int minItemBytes) {
        int n = in.readInt();
        if (n < 0 || (long) n * minItemBytes > in.readableBytes()) {
            throw new CorruptedFrameException("count " + n + " does not fit the " + in.readableBytes()
                    + " bytes left");
        }
        return n;
    }

    public static VolumeId readVolume(ByteBuf in) {
        return new VolumeId(readId(in));
    }

    public static StorageId readStorage(ByteBuf in) {
        return new StorageId(readId(in));
    }

    public static PairId readPair(ByteBuf in) {
        return new PairId(readId(in));
    }

    private static String readId(ByteBuf in) {
        String s = readString(in);
        if (s.isEmpty() || s.length() > 32) {
            throw new CorruptedFrameException("id '" + s + "' : expected 1..32 characters");
        }
        return s;
    }

    /** Length of the nonces and HMAC-SHA256 proofs of the authentication handshake. */
    public static final int NONCE = 32;

    public static void checkNonce(byte[] value, String field) {
        if (value == null || value.length != NONCE) {
            throw new IllegalArgumentException(field + " of " + (value == null ? "no" : value.length)
                    + " bytes: expected " + NONCE);
        }
    }

    public static byte[] readNonce(ByteBuf in) {
        byte[] b = new byte[NONCE];
        in.readBytes(b);
        return b;
    }

    public static long readNonNegative(ByteBuf in, String field) {
        long v = in.readLong();
        if (v < 0) {
            throw new CorruptedFrameException(field + " " + v + ": expected >= 0");
        }
        return v;
    }
}
