package io.cfs.blockstore.sync;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * How the Sync Daemon and the Sync Client sleep between rounds: a wake-up ends the sleep at once,
 * and one that came while the thread was busy is not lost.
 */
final class Wakeup {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private boolean woken;

    void wake() {
        lock.lock();
        try {
            woken = true;
            signal.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sleeps up to {@code nanos} unless woken since the last sleep or {@code workWaiting} says
     * there is something to do; returns false when the thread was interrupted.
     */
    boolean sleep(long nanos, BooleanSupplier workWaiting) {
        lock.lock();
        try {
            if (!woken && !workWaiting.getAsBoolean()) {
                signal.await(nanos, TimeUnit.NANOSECONDS);
            }
            woken = false;
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }
}
