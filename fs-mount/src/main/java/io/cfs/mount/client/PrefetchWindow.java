package io.cfs.mount.client;

/**
 * How many read-ahead chunks one sequential reader may have on their way: one to begin with, one
 * more each time the reader had to wait for a chunk that had not arrived (a fast reader: fio, a
 * copy), up to {@code max}; a reader that never waits (a video player reading at its bitrate)
 * keeps one. Beyond a budget of bytes on their way for the whole host, a reader gets only its next
 * chunk. Not thread-safe: guarded by the handle's monitor.
 */
final class PrefetchWindow {
    private final int max;
    private final long hostBudget;
    private int size = 1;

    PrefetchWindow(int max, long hostBudget) {
        if (max < 1) {
            throw new IllegalArgumentException("prefetch window of at most " + max + " chunks: expected >= 1");
        }
        if (hostBudget < 0) {
            throw new IllegalArgumentException("prefetch budget of " + hostBudget + " bytes: expected >= 0");
        }
        this.max = max;
        this.hostBudget = hostBudget;
    }

    /** The reader waited for a chunk: the window grows, up to its maximum. */
    void waited() {
        size = Math.min(size + 1, max);
    }

    /**
     * Whether another chunk may be fetched for this reader, which has {@code onTheirWay} chunks
     * fetched and not read yet, while the host has {@code hostBytes} bytes of chunks on their way.
     */
    boolean allowsAnother(int onTheirWay, long hostBytes) {
        return onTheirWay == 0 || onTheirWay < size && hostBytes < hostBudget;
    }

    int size() {
        return size;
    }
}
