package io.cfs.blockstore.sync;

import java.util.Arrays;

/** Bytes per second over the last few whole seconds. Thread-safe. */
public final class RateMeter {
    private static final int SECONDS = 4;
    private static final long SECOND = 1_000_000_000L;

    private final Ticker ticker;
    private final long[] slots = new long[SECONDS + 1];
    private final long origin;
    private long current;

    public RateMeter(Ticker ticker) {
        this.ticker = ticker;
        this.origin = ticker.nanoTime();
    }

    public synchronized void add(long bytes) {
        roll();
        slots[(int) (current % slots.length)] += bytes;
    }

    /** The average over the last {@value #SECONDS} whole seconds. */
    public synchronized long perSecond() {
        roll();
        long sum = 0;
        for (int i = 1; i <= SECONDS; i++) {
            sum += slots[(int) ((current - i + slots.length * 2L) % slots.length)];
        }
        return sum / SECONDS;
    }

    private void roll() {
        long second = (ticker.nanoTime() - origin) / SECOND;
        if (second - current > slots.length) {
            Arrays.fill(slots, 0);
            current = second;
            return;
        }
        while (current < second) {
            current++;
            slots[(int) (current % slots.length)] = 0;
        }
    }
}
