package io.cfs.blockstore.mirror;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Striped locks over the clusters of a master volume, each stripe with a write counter. A client
 * write holds the stripes of its clusters while it writes the master, sets the Bitmap Table bits
 * and hands its copy or invalidation to the (FIFO) connection, and bumps the counters; the Sync
 * Daemon holds a cluster's stripe while it reads the master and hands its copy to the same
 * connection, so the mirror receives copies in master order. A copy's bit is cleared only if the
 * stripe's counter has not moved since the copy was read. Locks are taken in stripe order, so
 * writes spanning several stripes cannot deadlock.
 */
public final class ClusterStripes {
    public static final int DEFAULT_STRIPES = 1024;

    private final ReentrantLock[] locks;
    private final long[] writes;
    private final int[] syncWritesInFlight;

    public ClusterStripes(int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes " + stripes + ": expected a power of two");
        }
        locks = new ReentrantLock[stripes];
        for (int i = 0; i < stripes; i++) {
            locks[i] = new ReentrantLock();
        }
        writes = new long[stripes];
        syncWritesInFlight = new int[stripes];
    }

    public int stripeOf(long cluster) {
        return (int) (cluster & (locks.length - 1));
    }

    /** Locks the stripes of clusters {@code first..first+count-1}; close the result to unlock. */
    public Held lock(long first, long count) {
        int n = (int) Math.min(count, locks.length);
        boolean[] taken = new boolean[locks.length];
        int[] order = new int[n];
        int k = 0;
        if (count >= locks.length) {
            for (int s = 0; s < locks.length; s++) {
                order[k++] = s;
            }
        } else {
            for (long c = first; c < first + count; c++) {
                int s = stripeOf(c);
                if (!taken[s]) {
                    taken[s] = true;
                    order[k++] = s;
                }
            }
            Arrays.sort(order, 0, k);
        }
        int[] stripes = Arrays.copyOf(order, k);
        for (int s : stripes) {
            locks[s].lock();
        }
        return new Held(stripes);
    }

    /** The stripes of a range, held until {@link #close()}. */
    public final class Held implements AutoCloseable {
        private final int[] stripes;

        private Held(int[] stripes) {
            this.stripes = stripes;
        }

        /** Counts a write on every held stripe. */
        public void countWrite() {
            for (int s : stripes) {
                writes[s]++;
            }
        }

        /** The write counter of a held cluster's stripe. */
        public long writes(long cluster) {
            int s = stripeOf(cluster);
            if (!locks[s].isHeldByCurrentThread()) {
                throw new IllegalStateException("stripe " + s + " of cluster " + cluster + " is not held");
            }
            return writes[s];
        }

        /** Marks a sync write as in flight on every held stripe (the Sync Daemon leaves them alone). */
        public void startSyncWrite() {
            for (int s : stripes) {
                syncWritesInFlight[s]++;
            }
        }

        /** Ends what {@link #startSyncWrite()} started. */
        public void endSyncWrite() {
            for (int s : stripes) {
                syncWritesInFlight[s]--;
            }
        }

        /** Whether a sync write on a held cluster's stripe has not finished yet. */
        public boolean syncWriteInFlight(long cluster) {
            return syncWritesInFlight[stripeOf(cluster)] > 0;
        }

        @Override
        public void close() {
            for (int i = stripes.length - 1; i >= 0; i--) {
                locks[stripes[i]].unlock();
            }
        }
    }
}
