package io.cfs.blockstore.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    /** A clock that moves only when told. */
    static final class ManualTicker implements Ticker {
        long now = 1_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }

        void advance(long nanos) {
            now += nanos;
        }
    }

    @Test
    void unlimitedNeverWaits() {
        TokenBucket bucket = new TokenBucket(0, new ManualTicker());
        for (int i = 0; i < 100; i++) {
            assertEquals(0, bucket.tryAcquire(1 << 30));
        }
    }

    @Test
    void allowsABurstThenPacesAtTheRate() {
        ManualTicker clock = new ManualTicker();
        TokenBucket bucket = new TokenBucket(1000, clock);
        assertEquals(0, bucket.tryAcquire(600));
        assertEquals(0, bucket.tryAcquire(600), "a positive balance lets a copy start (into debt)");
        long wait = bucket.tryAcquire(100);
        // 200 bytes of debt at 1000 B/s: 0.2 s (and a byte more to be positive).
        assertEquals(TimeUnit.MILLISECONDS.toNanos(201), wait);
        clock.advance(TimeUnit.MILLISECONDS.toNanos(100));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(101), bucket.delayNanos());
        clock.advance(TimeUnit.MILLISECONDS.toNanos(101));
        assertEquals(0, bucket.tryAcquire(100));
    }

    @Test
    void longRunRateIsTheLimit() {
        ManualTicker clock = new ManualTicker();
        TokenBucket bucket = new TokenBucket(64 * 1024, clock);
        long sent = 0;
        long elapsed = 0;
        while (elapsed < TimeUnit.SECONDS.toNanos(10)) {
            long wait = bucket.tryAcquire(16 * 1024);
            if (wait == 0) {
                sent += 16 * 1024;
            } else {
                clock.advance(wait);
                elapsed += wait;
            }
        }
        // 10 s at 64 KiB/s plus the initial one-second burst and one copy of debt.
        assertTrue(sent <= 11 * 64 * 1024 + 16 * 1024, "sent " + sent);
        assertTrue(sent >= 10 * 64 * 1024, "sent " + sent);
    }

    @Test
    void idleTimeBanksAtMostOneSecond() {
        ManualTicker clock = new ManualTicker();
        TokenBucket bucket = new TokenBucket(1000, clock);
        assertEquals(0, bucket.tryAcquire(1000));
        clock.advance(TimeUnit.SECONDS.toNanos(60));
        assertEquals(0, bucket.tryAcquire(1000));
        assertTrue(bucket.tryAcquire(1) > 0, "a minute idle still gives one second of tokens");
    }

    @Test
    void rateMeterAveragesTheLastSeconds() {
        ManualTicker clock = new ManualTicker();
        RateMeter meter = new RateMeter(clock);
        for (int s = 0; s < 4; s++) {
            meter.add(4000);
            clock.advance(TimeUnit.SECONDS.toNanos(1));
        }
        assertEquals(4000, meter.perSecond());
        clock.advance(TimeUnit.SECONDS.toNanos(10));
        assertEquals(0, meter.perSecond());
    }
}
