package io.cfs.blockstore.sync;

/** A source of monotonic nanoseconds, injectable so that tests control time. */
@FunctionalInterface
public interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    long nanoTime();
}
