package io.cfs.blockstore.cache;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How often each cluster was read lately, approximately (TinyLFU's count-min sketch): four rows of
 * byte counters saturating at {@value #MAX}, indexed by four hashes of the key; the estimate is the
 * smallest of its four counters. Every {@code 10 * capacity} counted reads every counter is halved,
 * so the counts follow what is popular now. {@link ClusterCache} admits a cluster in place of an
 * eviction victim only if the cluster was read more often than the victim.
 *
 * <p>Thread-safe but lossy by design: counters are plain bytes updated without atomics (a lost
 * increment under a race only blurs an estimate), and a halving runs on the thread that crossed
 * the threshold while others keep counting.
 */
final class FrequencySketch {
    static final int MAX = 15;
    private static final int ROWS = 4;
    private static final int MAX_WIDTH = 1 << 24;
    private static final long[] SEEDS = {0xc3a5c85c97cb3127L, 0xb492b66fbe98f273L, 0x9ae16a3b2f90404fL,
        0xcbf29ce484222325L};

    private final byte[] table;
    private final int width;
    private final int sampleSize;
    private final AtomicInteger additions = new AtomicInteger();
    private final ReentrantLock aging = new ReentrantLock();

    /** A sketch for a cache of {@code capacity} entries: four counters per row per entry (up to 16M a row). */
    FrequencySketch(int capacity) {
        long wanted = Math.max(16, 4L * capacity);
        this.width = (int) Math.min(MAX_WIDTH, Long.highestOneBit(wanted - 1) << 1);
        this.table = new byte[ROWS * width];
        this.sampleSize = (int) Math.min(1 << 30, Math.max(16, 10L * capacity));
    }

    /** Counts one read of the key of hash {@code hash}. */
    void increment(long hash) {
        boolean added = false;
        for (int row = 0; row < ROWS; row++) {
            int i = index(hash, row);
            if (table[i] < MAX) {
                table[i]++;
                added = true;
            }
        }
        if (added && additions.incrementAndGet() >= sampleSize) {
            age();
        }
    }

    /** The estimated reads of the key of hash {@code hash} (0..{@value #MAX}). */
    int frequency(long hash) {
        int min = MAX;
        for (int row = 0; row < ROWS; row++) {
            min = Math.min(min, table[index(hash, row)]);
        }
        return min;
    }

    private void age() {
        if (!aging.tryLock()) {
            return;
        }
        try {
            if (additions.get() < sampleSize) {
                return;
            }
            for (int i = 0; i < table.length; i++) {
                table[i] = (byte) (table[i] >>> 1);
            }
            additions.addAndGet(-sampleSize / 2);
        } finally {
            aging.unlock();
        }
    }

    private int index(long hash, int row) {
        long h = (hash + SEEDS[row]) * SEEDS[(row + 1) & 3];
        h ^= h >>> 29;
        return row * width + ((int) h & (width - 1));
    }
}
