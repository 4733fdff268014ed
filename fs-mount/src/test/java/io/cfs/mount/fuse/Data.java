package io.cfs.mount.fuse;

import java.util.Arrays;
import java.util.Random;

/** Test data: reproducible random bytes, and where two arrays first differ. */
final class Data {
    private Data() {}

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** "equal", or the first offset at which they differ, for assertion messages. */
    static String diff(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                return "first difference at byte " + i + ": expected " + expected[i] + ", got " + actual[i]
                        + " (lengths " + expected.length + " and " + actual.length + ")";
            }
        }
        return expected.length == actual.length ? "equal" : "lengths " + expected.length + " and " + actual.length;
    }

    static void assertSame(byte[] expected, byte[] actual, String what) {
        String d = diff(expected, actual);
        if (!d.equals("equal")) {
            throw new AssertionError(what + ": " + d);
        }
    }
}
