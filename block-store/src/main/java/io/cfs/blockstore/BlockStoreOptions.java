package io.cfs.blockstore;

import io.cfs.blockstore.sync.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How a {@link BlockStore} runs, beyond the topology.
 *
 * @param listen          the address to bind, or null for the storage system's topology address
 *                        (peers always use the topology address; tests bind port 0 here)
 * @param ioThreads       Netty event loop threads of the server (and of the peer connections)
 * @param diskThreads     threads doing volume I/O off the event loops
 * @param syncRate        Sync Daemon (and Sync Client pull) rate limit in bytes per second, 0 unlimited
 * @param peerTimeout     how long a request to another storage system (or the metadata server) may take
 * @param retry           how often an unreachable mirror or master is retried
 * @param quiet           how long a mirror's stale clusters may sit without change before its
 *                        storage system checks them against the master again
 * @param ticker          the clock of the rate limits and the retries
 * @param heartbeat       how often the storage system reports to the metadata server
 * @param cacheBytes      the cache memory's bound in bytes (direct memory, at most half the JVM's limit is used), 0: no cache
 * @param volumeBandwidth disk bytes read and written per volume per second (for benchmarks), 0 unlimited
 * @param metrics         the registry the storage system records its meters into (the metrics
 *                        server's), or null for one in memory of its own
 * @param mirrorLease     the read lease a master's storage system grants each mirror on another
 *                        storage system (renewed every third of it): the longest a write waits,
 *                        beyond half of it for the mirror to answer and a sixth as a margin, when
 *                        it cannot tell such a mirror its clusters went stale (see
 *                        {@link io.cfs.blockstore.mirror.GrantedLease})
 */
public record BlockStoreOptions(InetSocketAddress listen, int ioThreads, int diskThreads, long syncRate,
                                Duration peerTimeout, Duration retry, Duration quiet, Ticker ticker,
                                Duration heartbeat, long cacheBytes, long volumeBandwidth,
                                MeterRegistry metrics, Duration mirrorLease) {
    public static final int DEFAULT_IO_THREADS = 2;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(1);
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;
    /** Short, so that a write is held at most seconds; well above a renewal's round trip. */
    public static final Duration DEFAULT_MIRROR_LEASE = Duration.ofSeconds(3);

    public BlockStoreOptions {
        if (ioThreads < 1 || diskThreads < 1) {
            throw new IllegalArgumentException("io threads " + ioThreads + ", disk threads " + diskThreads
                    + ": expected at least 1 each");
        }
        if (syncRate < 0) {
            throw new IllegalArgumentException("sync rate " + syncRate + " bytes/s: expected >= 0 (0: unlimited)");
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat interval " + heartbeat + ": expected a positive duration");
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cache of " + cacheBytes + " bytes: expected >= 0 (0: no cache)");
        }
        if (mirrorLease.toMillis() < 3) {
            throw new IllegalArgumentException("mirror read lease " + mirrorLease + ": expected at least 3 ms");
        }
        if (volumeBandwidth < 0) {
            throw new IllegalArgumentException("volume bandwidth " + volumeBandwidth
                    + " bytes/s: expected >= 0 (0: unlimited)");
        }
    }

    public static BlockStoreOptions defaults() {
        return new BlockStoreOptions(null, DEFAULT_IO_THREADS, 8, 0, Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofSeconds(2), Ticker.SYSTEM, DEFAULT_HEARTBEAT, DEFAULT_CACHE_BYTES, 0, null, DEFAULT_MIRROR_LEASE);
    }

    public BlockStoreOptions withListen(InetSocketAddress address) {
        return new BlockStoreOptions(address, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withIoThreads(int threads) {
        return new BlockStoreOptions(listen, threads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withSyncRate(long bytesPerSecond) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, bytesPerSecond, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withTicker(Ticker clock) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, clock,
                heartbeat, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withPeerTimeout(Duration timeout) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, timeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withHeartbeat(Duration interval) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                interval, cacheBytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withCacheBytes(long bytes) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, bytes, volumeBandwidth, metrics, mirrorLease);
    }

    public BlockStoreOptions withMetrics(MeterRegistry registry) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, registry, mirrorLease);
    }

    public BlockStoreOptions withVolumeBandwidth(long bytesPerSecond) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, bytesPerSecond, metrics, mirrorLease);
    }

    public BlockStoreOptions withMirrorLease(Duration lease) {
        return new BlockStoreOptions(listen, ioThreads, diskThreads, syncRate, peerTimeout, retry, quiet, ticker,
                heartbeat, cacheBytes, volumeBandwidth, metrics, lease);
    }
}
