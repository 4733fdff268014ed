package io.cfs.metrics;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The one set of latency histogram buckets of CFS, from 50 µs (a cached read on the loopback) to
 * 10 s (a request that waits for a storage system to time out): 16 buckets per series, so a
 * histogram per operation stays small in a scrape.
 */
public final class Latency {
    private static final Duration[] BUCKETS = {
        Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(10)};

    private Latency() {}

    /** A timer builder with CFS's histogram buckets. */
    public static Timer.Builder timer(String name) {
        return Timer.builder(name).serviceLevelObjectives(BUCKETS);
    }
}
