package io.cfs.meta;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * How to run a metadata server beyond what the topology says.
 *
 * @param id             the server's name in logs and thread names
 * @param listen         the address to listen on, or null for the topology's {@code metadata address=}
 *                       (port 0 picks a free port)
 * @param dataDir        the data folder, or null for the topology's {@code metadata data=}
 * @param clock          the time source of every timestamp the server records, of leases and of
 *                       heartbeat ages
 * @param ioThreads      Netty I/O threads
 * @param lease          how long a client session lives without KEEP_ALIVE (1 ms .. about 24 days)
 * @param storageTimeout how long a storage system may go without a heartbeat before it is down
 * @param snapshotEvery  how many journal records between two snapshots
 * @param checkEvery     how often (real time) leases and storage timeouts are checked against the clock
 * @param metrics        the registry the server records its meters into (the metrics server's), or
 *                       null for one in memory of its own
 */
public record MetadataOptions(String id, InetSocketAddress listen, Path dataDir, Clock clock, int ioThreads,
                              Duration lease, Duration storageTimeout, long snapshotEvery, Duration checkEvery,
                              MeterRegistry metrics) {
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_STORAGE_TIMEOUT = Duration.ofSeconds(3);
    public static final long DEFAULT_SNAPSHOT_EVERY = 100_000;
    public static final Duration DEFAULT_CHECK_EVERY = Duration.ofMillis(250);

    public MetadataOptions {
        if (id == null || id.isEmpty() || clock == null || ioThreads < 1) {
            throw new IllegalArgumentException("metadata options need an id, a clock and at least one I/O thread");
        }
        if (lease == null || lease.toMillis() < 1 || lease.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("lease " + lease + ": expected 1 ms to " + Integer.MAX_VALUE + " ms");
        }
        if (storageTimeout == null || storageTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("storage timeout " + storageTimeout + ": expected at least 1 ms");
        }
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshot every " + snapshotEvery + " records: expected at least 1");
        }
        if (checkEvery == null || checkEvery.toMillis() < 1) {
            throw new IllegalArgumentException("check interval " + checkEvery + ": expected at least 1 ms");
        }
    }

    /**
     * Id {@code meta}, the topology's address and data folder, the system clock, 2 I/O threads, a
     * 10 s lease, a 3 s storage timeout, a snapshot every 100,000 records, checks every 250 ms, meters
     * kept in memory of the server's own.
     */
    public static MetadataOptions defaults() {
        return new MetadataOptions("meta", null, null, Clock.systemUTC(), 2, DEFAULT_LEASE, DEFAULT_STORAGE_TIMEOUT,
                DEFAULT_SNAPSHOT_EVERY, DEFAULT_CHECK_EVERY, null);
    }

    public MetadataOptions withId(String newId) {
        return new MetadataOptions(newId, listen, dataDir, clock, ioThreads, lease, storageTimeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withListen(InetSocketAddress address) {
        return new MetadataOptions(id, address, dataDir, clock, ioThreads, lease, storageTimeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withDataDir(Path dir) {
        return new MetadataOptions(id, listen, dir, clock, ioThreads, lease, storageTimeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withClock(Clock newClock) {
        return new MetadataOptions(id, listen, dataDir, newClock, ioThreads, lease, storageTimeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withLease(Duration newLease) {
        return new MetadataOptions(id, listen, dataDir, clock, ioThreads, newLease, storageTimeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withStorageTimeout(Duration timeout) {
        return new MetadataOptions(id, listen, dataDir, clock, ioThreads, lease, timeout, snapshotEvery,
                checkEvery, metrics);
    }

    public MetadataOptions withSnapshotEvery(long records) {
        return new MetadataOptions(id, listen, dataDir, clock, ioThreads, lease, storageTimeout, records,
                checkEvery, metrics);
    }

    public MetadataOptions withMetrics(MeterRegistry registry) {
        return new MetadataOptions(id, listen, dataDir, clock, ioThreads, lease, storageTimeout, snapshotEvery,
                checkEvery, registry);
    }

    public MetadataOptions withCheckEvery(Duration interval) {
        return new MetadataOptions(id, listen, dataDir, clock, ioThreads, lease, storageTimeout, snapshotEvery,
                interval, metrics);
    }
}
