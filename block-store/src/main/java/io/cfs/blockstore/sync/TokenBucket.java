package io.cfs.blockstore.sync;

/**
 * Limits the resync to {@code bytesPerSecond} (0: unlimited). Tokens accrue at that rate up to
 * one second's worth; a copy may start whenever the balance is positive and then takes its bytes,
 * possibly into debt, so copies larger than the rate still go through and the long-run rate is
 * the limit. Thread-safe; time comes from a {@link Ticker}.
 */
public final class TokenBucket {
    private static final double NANOS = 1e9;

    private final long bytesPerSecond;
    private final Ticker ticker;
    private double tokens;
    private long last;

    public TokenBucket(long bytesPerSecond, Ticker ticker) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate " + bytesPerSecond + " bytes/s: expected >= 0 (0: unlimited)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.ticker = ticker;
        this.tokens = bytesPerSecond;
        this.last = ticker.nanoTime();
    }

    /** Nanoseconds to wait before the next copy may start (0: now). */
    public synchronized long delayNanos() {
        if (bytesPerSecond == 0) {
            return 0;
        }
        refill();
        return tokens > 0 ? 0 : (long) Math.ceil((-tokens + 1) * NANOS / bytesPerSecond);
    }

    /** Takes the bytes of a copy that was started. */
    public synchronized void consume(long bytes) {
        if (bytesPerSecond == 0) {
            return;
        }
        refill();
        tokens -= bytes;
    }

    /** Gives back bytes taken for work that turned out smaller (the balance stays within one second's worth). */
    public synchronized void refund(long bytes) {
        if (bytesPerSecond == 0) {
            return;
        }
        refill();
        tokens = Math.min(bytesPerSecond, tokens + bytes);
    }

    /** The rate, 0 for unlimited. */
    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Takes {@code bytes} and returns 0 if a copy may start now, else the nanoseconds to wait (nothing taken). */
    public synchronized long tryAcquire(long bytes) {
        long delay = delayNanos();
        if (delay == 0) {
            consume(bytes);
        }
        return delay;
    }

    private void refill() {
        long now = ticker.nanoTime();
        long elapsed = now - last;
        if (elapsed > 0) {
            tokens = Math.min(bytesPerSecond, tokens + elapsed * (bytesPerSecond / NANOS));
            last = now;
        }
    }
}
