package io.cfs.blockstore;

import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.blockstore.sync.MirrorProgress;
import io.cfs.blockstore.sync.ReplicaProgress;
import io.cfs.blockstore.sync.SyncClient;
import io.cfs.blockstore.sync.SyncDaemon;
import io.cfs.blockstore.volume.Volume;
import io.cfs.topology.VolumeAddress;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Collection;
import java.util.function.ToDoubleFunction;

/**
 * A storage system's own meters (the RPC server records its requests itself). Every one reads
 * counters the parts keep anyway, at scrape time, so the I/O path pays nothing for them:
 *
 * <ul>
 *   <li>the cache memory: {@code cfs_cache_hits_total}, {@code _misses_total},
 *       {@code _evictions_total}, {@code cfs_cache_evicted_bytes_total}, {@code cfs_cache_size_bytes},
 *       {@code cfs_cache_max_bytes}</li>
 *   <li>per volume: {@code cfs_volume_written_bytes_total}, {@code cfs_volume_read_bytes_total},
 *       {@code cfs_volume_disk_reads_total}, and with a bandwidth limit
 *       {@code cfs_volume_bandwidth_waits_total} and {@code cfs_volume_bandwidth_waiting}</li>
 *   <li>per mirror of a master held here (the Sync Daemon): {@code cfs_mirror_invalid_clusters},
 *       {@code cfs_resync_bytes_total}, {@code cfs_resync_rate_bytes_per_second},
 *       {@code cfs_mirror_reachable}</li>
 *   <li>per mirror held here for a master elsewhere (the Sync Client):
 *       {@code cfs_replica_invalid_clusters}, {@code cfs_replica_pulled_bytes_total},
 *       {@code cfs_replica_confirmed}</li>
 * </ul>
 */
final class BlockStoreMeters {
    private BlockStoreMeters() {}

    static void bind(MeterRegistry registry, ClusterCache cache, Collection<Volume> volumes, SyncDaemon daemon,
                     SyncClient client) {
        FunctionCounter.builder("cfs.cache.hits", cache, ClusterCache::hits)
                .description("cluster lookups served from the cache memory").register(registry);
        FunctionCounter.builder("cfs.cache.misses", cache, ClusterCache::misses)
                .description("cluster lookups that went to the disk (or the master)").register(registry);
        FunctionCounter.builder("cfs.cache.evictions", cache, ClusterCache::evictions)
                .description("clusters evicted to make room for others").register(registry);
        FunctionCounter.builder("cfs.cache.evicted", cache, ClusterCache::evictedBytes).baseUnit("bytes")
                .description("cache memory evicted (a whole cluster slot each)").register(registry);
        Gauge.builder("cfs.cache.size", cache, ClusterCache::bytes).baseUnit("bytes")
                .description("cache memory holding clusters now").register(registry);
        Gauge.builder("cfs.cache.max", cache, ClusterCache::maxBytes).baseUnit("bytes")
                .description("the cache's direct memory, allocated at start: its bound (0: no cache)").register(registry);

        for (Volume v : volumes) {
            Tags tags = Tags.of("volume", v.id().value());
            FunctionCounter.builder("cfs.volume.written", v, Volume::bytesWritten).baseUnit("bytes").tags(tags)
                    .description("bytes written to the volume file").register(registry);
            FunctionCounter.builder("cfs.volume.read", v, Volume::bytesRead).baseUnit("bytes").tags(tags)
                    .description("bytes read from the volume file (cache hits not counted)").register(registry);
            FunctionCounter.builder("cfs.volume.disk.reads", v, Volume::diskReads).tags(tags)
                    .description("reads that went to the volume file").register(registry);
            if (v.bandwidth().limited()) {
                FunctionCounter.builder("cfs.volume.bandwidth.waits", v, x -> x.bandwidth().waits()).tags(tags)
                        .description("requests that waited for the volume's bandwidth limit").register(registry);
                Gauge.builder("cfs.volume.bandwidth.waiting", v, x -> x.bandwidth().waiting()).tags(tags)
                        .description("requests waiting for the volume's bandwidth limit now").register(registry);
            }
        }

        for (MirrorProgress p : daemon.progress()) {
            Tags tags = Tags.of("pair", p.pair().value(), "mirror", p.mirror().toString());
            Gauge.builder("cfs.mirror.invalid.clusters", daemon, d -> field(d, p, MirrorProgress::invalidClusters))
                    .tags(tags).description("clusters the mirror lacks (set bits of its Bitmap Table row)")
                    .register(registry);
            FunctionCounter.builder("cfs.resync", daemon, d -> field(d, p, MirrorProgress::bytesCopied))
                    .baseUnit("bytes").tags(tags).description("bytes the Sync Daemon copied to the mirror since start")
                    .register(registry);
            Gauge.builder("cfs.resync.rate", daemon, d -> field(d, p, MirrorProgress::bytesPerSecond))
                    .baseUnit("bytes_per_second").tags(tags).description("the Sync Daemon's copy rate to the mirror")
                    .register(registry);
            Gauge.builder("cfs.mirror.reachable", daemon, d -> field(d, p, m -> m.reachable() ? 1 : 0)).tags(tags)
                    .description("0 while copies to the mirror fail (the Sync Daemon retries)").register(registry);
        }

        for (ReplicaProgress p : client.progress()) {
            Tags tags = Tags.of("mirror", p.mirror().toString(), "master", p.master().toString());
            Gauge.builder("cfs.replica.invalid.clusters", client, c -> replica(c, p.mirror(),
                    ReplicaProgress::invalidClusters)).tags(tags)
                    .description("clusters of a mirror held here that are read from its master").register(registry);
            FunctionCounter.builder("cfs.replica.pulled", client, c -> replica(c, p.mirror(),
                    ReplicaProgress::bytesPulled)).baseUnit("bytes").tags(tags)
                    .description("bytes the Sync Client fetched from the master itself").register(registry);
            Gauge.builder("cfs.replica.confirmed", client, c -> replica(c, p.mirror(), r -> r.confirmed() ? 1 : 0))
                    .tags(tags).description("1 once the mirror's stale map was checked against its master")
                    .register(registry);
            Gauge.builder("cfs.replica.leased", client, c -> replica(c, p.mirror(), r -> r.leased() ? 1 : 0))
                    .tags(tags).description("1 while the mirror holds a read lease from its master (it serves the"
                            + " clusters it holds valid); 0: every read of it goes to the master")
                    .register(registry);
        }
    }

    private static double field(SyncDaemon daemon, MirrorProgress which, ToDoubleFunction<MirrorProgress> field) {
        for (MirrorProgress p : daemon.progress()) {
            if (p.pair().equals(which.pair()) && p.member() == which.member()) {
                return field.applyAsDouble(p);
            }
        }
        return Double.NaN;
    }

    private static double replica(SyncClient client, VolumeAddress mirror, ToDoubleFunction<ReplicaProgress> field) {
        for (ReplicaProgress p : client.progress()) {
            if (p.mirror().equals(mirror)) {
                return field.applyAsDouble(p);
            }
        }
        return Double.NaN;
    }
}
