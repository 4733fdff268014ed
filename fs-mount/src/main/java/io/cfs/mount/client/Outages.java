package io.cfs.mount.client;

import io.cfs.topology.StorageId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which storage systems the client's last call to failed, so that an outage is logged once when
 * it starts and once when it ends, not once per read that fails over meanwhile. Bounded by the
 * topology's storage systems. Thread-safe.
 */
final class Outages {
    private final Set<StorageId> down = ConcurrentHashMap.newKeySet();

    /** A call to {@code storage} failed; true if this starts an outage (log it). */
    boolean failed(StorageId storage) {
        return down.add(storage);
    }

    /** A call to {@code storage} succeeded; true if this ends an outage (log it). */
    boolean answered(StorageId storage) {
        return !down.isEmpty() && down.remove(storage);
    }
}
