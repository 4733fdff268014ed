package io.cfs.blockstore;

import io.cfs.blockstore.bitmap.BitmapFile;
import io.cfs.blockstore.bitmap.BitmapTable;
import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.blockstore.mirror.ClusterStripes;
import io.cfs.blockstore.mirror.FreshMarker;
import io.cfs.blockstore.mirror.GrantedLease;
import io.cfs.blockstore.mirror.MasterPair;
import io.cfs.blockstore.mirror.MasterPair.MirrorLink;
import io.cfs.blockstore.mirror.MirrorReplica;
import io.cfs.blockstore.mirror.Peers;
import io.cfs.blockstore.sync.MirrorProgress;
import io.cfs.blockstore.sync.ReplicaProgress;
import io.cfs.blockstore.sync.SyncClient;
import io.cfs.blockstore.sync.SyncDaemon;
import io.cfs.blockstore.sync.TokenBucket;
import io.cfs.blockstore.volume.Bandwidth;
import io.cfs.blockstore.volume.Volume;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.Listen;
import io.cfs.protocol.rpc.RpcServer;
import io.cfs.topology.DataFolder;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.StorageSpec;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeAddress;
import io.cfs.topology.VolumeId;
import io.cfs.topology.VolumeSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage system: its volumes (sparse files under {@code <data>/volumes}), the Bitmap Table
 * rows and written bitmaps of the pairs it masters ({@code <data>/bitmaps}), the stale maps (and
 * fresh marks) of the mirrors it holds for masters elsewhere ({@code <data>/stale}), the Sync
 * Daemon, the Sync Client and the RPC server that serves them all.
 *
 * <p>A mirror volume created empty (first start, a replaced disk) needs exactly the clusters ever
 * written on its master: a mirror on this storage system gets the master's written bitmap or-ed
 * into its Bitmap Table row here at startup; a mirror of a master elsewhere asks its master as
 * fresh (see {@link MirrorReplica}).
 *
 * <p>It keeps hot clusters in its cache memory ({@link ClusterCache}), can limit each volume's disk
 * bandwidth (for benchmarks, see {@link Bandwidth}) and reports to the metadata server with a
 * {@link Heartbeat}.
 */
public final class BlockStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockStore.class);

    private final StorageId id;
    private final Deque<AutoCloseable> resources;
    private final RpcServer server;
    private final SyncDaemon syncDaemon;
    private final SyncClient syncClient;
    private final ClusterCache cache;
    private final Map<VolumeId, Volume> volumes;
    private Heartbeat heartbeat;
    private boolean closed;

    private BlockStore(StorageId id, Deque<AutoCloseable> resources, RpcServer server, SyncDaemon syncDaemon,
                       SyncClient syncClient, ClusterCache cache, Map<VolumeId, Volume> volumes) {
        this.id = id;
        this.resources = resources;
        this.server = server;
        this.syncDaemon = syncDaemon;
        this.syncClient = syncClient;
        this.cache = cache;
        this.volumes = volumes;
    }

    /** The volume file of a volume under a storage system's data folder. */
    public static Path volumeFile(Path data, VolumeId volume) {
        return data.resolve("volumes").resolve(volume.value() + ".vol");
    }

    /** The stale map of a mirror held for a master on another storage system. */
    public static Path staleFile(Path data, VolumeId volume) {
        return data.resolve("stale").resolve(volume.value() + ".bits");
    }

    /** The fresh mark of such a mirror: its volume was created empty and its master has not yet confirmed it. */
    public static Path freshFile(Path data, VolumeId volume) {
        return data.resolve("stale").resolve(volume.value() + ".fresh");
    }

    /**
     * Opens (creating what is missing) the volumes, bitmaps and stale maps of storage system
     * {@code id}, binds its address and starts serving and resyncing.
     *
     * @throws IllegalArgumentException if {@code id} is not in the topology
     * @throws IOException              if a file cannot be used (the message names it) or the
     *                                  address cannot be bound
     */
    public static BlockStore start(Topology topology, StorageId id, ClusterCredentials credentials,
                                   BlockStoreOptions options) throws IOException, InterruptedException {
        StorageSpec self = topology.storages().get(id);
        if (self == null) {
            throw new IllegalArgumentException("storage system " + id + " is not in the topology: expected one of "
                    + new TreeSet<>(topology.storages().keySet().stream().map(StorageId::value).toList()));
        }
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return open(topology, self, credentials, options, resources);
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static BlockStore open(Topology topology, StorageSpec self, ClusterCredentials credentials,
                                   BlockStoreOptions options, Deque<AutoCloseable> resources)
            throws IOException, InterruptedException {
        StorageId id = self.id();
        Path data = self.data();
        int clusterSize = topology.clusterSize();
        DataFolder.prepare(data, topology.origins().storage(id));
        resources.push(lockData(id, data));

        // Which volume files exist decides what must be resynced; look before anything is created.
        Map<VolumeAddress, Boolean> existed = new HashMap<>();
        for (VolumeSpec v : topology.volumesOf(id)) {
            existed.put(v.address(), Files.exists(volumeFile(data, v.address().volume())));
        }

        // Bitmaps first, so that "this volume needs a full copy" is on disk before the empty volume file is.
        BitmapTable table = new BitmapTable(data.resolve("bitmaps"));
        Map<PairSpec, List<BitmapFile>> rows = new LinkedHashMap<>();
        Map<PairSpec, BitmapFile> written = new HashMap<>();
        Map<VolumeAddress, BitmapFile> staleMaps = new HashMap<>();
        Map<VolumeAddress, FreshMarker> freshMarkers = new HashMap<>();
        resources.push(() -> {
            table.force();
            staleMaps.values().forEach(BitmapFile::force);
        });
        for (PairSpec pair : topology.sortedPairs()) {
            long clusters = MasterPair.clustersOf(topology.volume(pair.master()).capacity(), clusterSize);
            if (pair.master().storage().equals(id)) {
                BitmapFile w = openWritten(table, pair, clusters, existed.get(pair.master()));
                written.put(pair, w);
                rows.put(pair, openRows(table, pair, clusters, existed, w));
            } else {
                for (int member = 1; member <= pair.mirrors().size(); member++) {
                    VolumeAddress mirror = pair.member(member);
                    if (mirror.storage().equals(id)) {
                        FreshMarker fresh = new FreshMarker(freshFile(data, mirror.volume()));
                        staleMaps.put(mirror, openStaleMap(data, mirror, clusters, existed.get(mirror), fresh));
                        freshMarkers.put(mirror, fresh);
                    }
                }
            }
        }

        ClusterCache cache = openCache(id, options.cacheBytes(), clusterSize);
        resources.push(cache);
        ScheduledExecutorService bandwidthTimer = null;
        if (options.volumeBandwidth() > 0) {
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                    new DefaultThreadFactory(id + "-bandwidth", true));
            resources.push(timer::shutdownNow);
            bandwidthTimer = timer;
            log.info("block-store {}: disk bandwidth limited to {} bytes/s per volume", id, options.volumeBandwidth());
        }
        Map<VolumeId, Volume> volumes = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        for (VolumeSpec v : topology.volumesOf(id)) {
            Bandwidth bandwidth = Bandwidth.UNLIMITED;
            if (bandwidthTimer != null) {
                ScheduledExecutorService timer = bandwidthTimer;
                Bandwidth limited = new Bandwidth(options.volumeBandwidth(), options.ticker(),
                        (task, nanos) -> timer.schedule(task, nanos, TimeUnit.NANOSECONDS));
                resources.push(limited::close);
                bandwidth = limited;
            }
            Volume volume = Volume.open(v.address().volume(), volumeFile(data, v.address().volume()), v.capacity(),
                    cache, bandwidth);
            resources.push(volume);
            volumes.put(volume.id(), volume);
        }

        ExecutorService disk = Executors.newFixedThreadPool(options.diskThreads(), new DefaultThreadFactory(id + "-disk", true));
        resources.push(() -> {
            disk.shutdown();
            if (!disk.awaitTermination(5, TimeUnit.SECONDS)) {
                disk.shutdownNow();
            }
        });
        Peers peers = new Peers(id, topology, credentials, options.peerTimeout(), options.ioThreads());
        resources.push(peers);
        TokenBucket bucket = new TokenBucket(options.syncRate(), options.ticker());
        SyncDaemon daemon = new SyncDaemon(id + "-sync-daemon", peers, bucket, options.ticker(), options.retry());
        SyncClient syncClient = new SyncClient(id + "-sync-client", peers, bucket, options.ticker(), options.retry(),
                options.quiet(), options.mirrorLease());
        ScheduledThreadPoolExecutor leaseTimer = new ScheduledThreadPoolExecutor(1,
                new DefaultThreadFactory(id + "-leases", true));
        leaseTimer.setRemoveOnCancelPolicy(true);
        resources.push(leaseTimer::shutdownNow);
        GrantedLease.Scheduler leaseScheduler = (task, nanos) -> {
            try {
                ScheduledFuture<?> scheduled = leaseTimer.schedule(task, nanos, TimeUnit.NANOSECONDS);
                return () -> scheduled.cancel(false);
            } catch (RejectedExecutionException e) {
                return () -> { }; // shutting down: the server no longer answers
            }
        };

        Map<VolumeId, VolumeRole> roles = new HashMap<>();
        Map<PairId, MasterPair> masters = new HashMap<>();
        for (var e : rows.entrySet()) {
            PairSpec pair = e.getKey();
            List<MirrorLink> links = new ArrayList<>();
            for (int member = 1; member <= pair.mirrors().size(); member++) {
                VolumeAddress mirror = pair.member(member);
                BitmapFile row = e.getValue().get(member - 1);
                links.add(mirror.storage().equals(id) ? MirrorLink.local(member, mirror, row, volumes.get(mirror.volume()))
                        : MirrorLink.remote(member, mirror, row, new GrantedLease(mirror.toString(),
                                options.mirrorLease(), options.ticker()::nanoTime, leaseScheduler)));
            }
            MasterPair master = new MasterPair(pair, volumes.get(pair.master().volume()), clusterSize, links,
                    written.get(pair), new ClusterStripes(ClusterStripes.DEFAULT_STRIPES), peers, disk, daemon::wake);
            masters.put(pair.id(), master);
            daemon.register(master);
            roles.put(pair.master().volume(), new VolumeRole.Master(master));
            for (MirrorLink link : links) {
                if (link.isLocal()) {
                    roles.put(link.address().volume(), new VolumeRole.LocalMirror(master, link));
                }
            }
        }
        for (var e : staleMaps.entrySet()) {
            VolumeAddress mirror = e.getKey();
            PairSpec pair = topology.pairOf(mirror).orElseThrow();
            MirrorReplica replica = new MirrorReplica(pair, pair.members().indexOf(mirror), volumes.get(mirror.volume()),
                    e.getValue(), freshMarkers.get(mirror), clusterSize, topology.volume(pair.master()).capacity(), disk,
                    syncClient, options.ticker()::nanoTime);
            syncClient.register(replica);
            roles.put(mirror.volume(), new VolumeRole.RemoteMirror(replica));
        }
        for (Volume v : volumes.values()) {
            roles.putIfAbsent(v.id(), new VolumeRole.Unpaired(v));
        }

        MeterRegistry metrics = options.metrics() != null ? options.metrics() : new SimpleMeterRegistry();
        InetSocketAddress listen = options.listen() != null ? options.listen()
                : new InetSocketAddress(self.address().getHostString(), self.address().getPort());
        RpcServer server;
        try {
            server = RpcServer.start("block-store " + id, listen, options.ioThreads(), credentials,
                    new RequestDispatcher(id, topology, roles, masters, disk, cache), metrics);
        } catch (Exception e) {
            if (e instanceof InterruptedException i) {
                throw i;
            }
            throw new IOException("block-store " + id + " " + Listen.failure(listen.getHostString() + ":"
                    + listen.getPort(), topology.origins().storage(id), e), e);
        }
        resources.push(server);
        daemon.start();
        resources.push(daemon);
        syncClient.start();
        resources.push(syncClient);

        BlockStoreMeters.bind(metrics, cache, volumes.values(), daemon, syncClient);
        BlockStore store = new BlockStore(id, resources, server, daemon, syncClient, cache, volumes);
        InetSocketAddress meta = topology.metadata().address();
        store.heartbeat = Heartbeat.start(id, new InetSocketAddress(meta.getHostString(), meta.getPort()),
                options.heartbeat(), options.peerTimeout(), credentials, store::status);
        resources.push(store.heartbeat);

        InetSocketAddress bound = server.address();
        log.info("block-store {} serving volumes {} on {}:{} ({})", id, volumes.keySet(),
                bound.getAddress().getHostAddress(), bound.getPort(), cache);
        return store;
    }

    /**
     * The cache memory of {@code requested} bytes, or as much of it as half the JVM's direct memory
     * limit holds (the other half is for Netty's buffers).
     */
    private static ClusterCache openCache(StorageId id, long requested, int clusterSize) {
        long maxDirect = PlatformDependent.maxDirectMemory();
        long bytes = ClusterCache.fitToDirectMemory(requested, maxDirect);
        if (bytes < requested) {
            log.warn("block-store {}: a cache memory of {} bytes does not fit half the direct memory limit of {} "
                    + "bytes (the rest is for network buffers): using {} bytes; raise -XX:MaxDirectMemorySize "
                    + "(CFS_DIRECT_MEMORY) to use it all", id, requested, maxDirect, bytes);
        }
        return new ClusterCache(bytes, clusterSize);
    }

    /** Takes {@code <data>/block-store.lock}, so that two daemons never share a data folder. */
    private static AutoCloseable lockData(StorageId id, Path data) throws IOException {
        Files.createDirectories(data);
        Path file = data.resolve("block-store.lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("data folder " + data + " of " + id + " is in use by another block-store (it holds "
                    + file + ")");
        }
        return channel; // closing the channel releases the lock
    }

    /**
     * Opens the written bitmap of a pair mastered here. A master volume that held data before the
     * bitmap was kept (an older data folder) counts as written everywhere.
     */
    private static BitmapFile openWritten(BitmapTable table, PairSpec pair, long clusters, boolean masterExisted)
            throws IOException {
        BitmapFile written = table.openWritten(pair.id(), clusters, masterExisted);
        if (written.created() && masterExisted) {
            log.info("pair {}: master {} has no written bitmap yet (an older data folder): every cluster counts as "
                    + "written", pair.id(), pair.master());
        }
        return written;
    }

    private static List<BitmapFile> openRows(BitmapTable table, PairSpec pair, long clusters,
                                             Map<VolumeAddress, Boolean> existed, BitmapFile written)
            throws IOException {
        boolean masterExisted = existed.get(pair.master());
        List<BitmapFile> rows = new ArrayList<>();
        boolean rowsExisted = false;
        for (int member = 1; member <= pair.mirrors().size(); member++) {
            VolumeAddress mirror = pair.member(member);
            rowsExisted |= table.exists(pair.id(), member);
            // A mirror here created empty lacks exactly what was ever written on the master.
            boolean createdEmptyHere = Boolean.FALSE.equals(existed.get(mirror));
            // A new row of a master that holds data, for a mirror that may hold anything (e.g. a mirror
            // just added): the mirror may lack any of it.
            BitmapFile row = table.open(pair.id(), member, clusters, masterExisted && !createdEmptyHere);
            if (createdEmptyHere) {
                row.or(written.toBitSet());
                row.force(); // before the empty volume file exists
                if (masterExisted) {
                    log.info("pair {}: mirror {} was created empty: the {} clusters written on the master will be "
                            + "copied to it", pair.id(), mirror, written.cardinality());
                }
            } else if (row.created() && masterExisted) {
                log.info("pair {}: new Bitmap Table row for mirror {}: the whole volume will be copied to it",
                        pair.id(), mirror);
            }
            rows.add(row);
        }
        if (!masterExisted && rowsExisted) {
            log.warn("pair {}: master volume {} was created empty but its Bitmap Table rows exist: the master's data "
                    + "is lost, its mirrors may hold older data", pair.id(), pair.master());
        }
        return rows;
    }

    /**
     * Opens the stale map of a mirror of a master elsewhere. A volume created empty is marked fresh
     * (before its file exists) and all stale: it is served from the master until the master, asked
     * as fresh, has said which clusters were ever written.
     */
    private static BitmapFile openStaleMap(Path data, VolumeAddress mirror, long clusters, boolean volumeExisted,
                                           FreshMarker fresh) throws IOException {
        if (!volumeExisted) {
            fresh.create();
        }
        boolean isFresh = !volumeExisted || fresh.exists();
        BitmapFile stale = BitmapFile.open(staleFile(data, mirror.volume()), clusters, isFresh);
        if (!volumeExisted) {
            if (!stale.created()) {
                stale.setAll();
            }
            log.info("mirror {} was created empty: served from its master until the master confirms which of its "
                    + "{} clusters were ever written", mirror, clusters);
        } else if (isFresh) {
            log.info("mirror {} was created empty at an earlier start and its master has not confirmed it yet: "
                    + "asking again", mirror);
        }
        return stale;
    }

    /** The address the server is bound to. */
    public InetSocketAddress address() {
        return server.address();
    }

    /** The resync state of every mirror of the masters held here (what the Sync Daemon has left to copy). */
    public List<MirrorProgress> syncProgress() {
        return syncDaemon.progress();
    }

    /**
     * What the next heartbeat reports: the cache counters, and per mirror of the masters held here
     * its invalid clusters, the bytes copied to it since startup and the current copy rate.
     */
    public StorageHeartbeatRequest status() {
        List<MirrorStatus> mirrors = new ArrayList<>();
        for (MirrorProgress p : syncDaemon.progress()) {
            mirrors.add(new MirrorStatus(p.pair(), p.member(), p.invalidClusters(), p.bytesCopied(),
                    p.bytesPerSecond()));
        }
        return new StorageHeartbeatRequest(id, cache.hits(), cache.misses(), cache.bytes(), mirrors);
    }

    /** The cache memory. */
    ClusterCache cache() {
        return cache;
    }

    /** A volume held here. */
    Volume volume(String volume) {
        Volume v = volumes.get(new VolumeId(volume));
        if (v == null) {
            throw new IllegalArgumentException("storage system " + id + " holds no volume " + volume
                    + ": expected one of " + volumes.keySet());
        }
        return v;
    }

    /** The heartbeat to the metadata server. */
    Heartbeat heartbeat() {
        return heartbeat;
    }

    /** Pauses (true) or resumes (false) the Sync Daemon; see {@link SyncDaemon#setPaused}. */
    public void pauseSync(boolean paused) {
        syncDaemon.setPaused(paused);
    }

    /** The state of every mirror held here for a master on another storage system. */
    public List<ReplicaProgress> replicaProgress() {
        return syncClient.progress();
    }

    /** Stops serving, stops the Sync Daemon and the Sync Client, forces and closes every file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(resources);
        log.info("block-store {} stopped", id);
    }

    /**
     * Closes in the reverse order of creation: heartbeat, server, Sync Client and Daemon, peers, disk
     * threads, files, bandwidth limits (rejecting requests still waiting), the cache memory (released
     * last, once nothing reads from it).
     */
    private static void closeAll(Deque<AutoCloseable> resources) {
        for (AutoCloseable r; (r = resources.pollFirst()) != null; ) {
            try {
                if (r instanceof Volume v) {
                    v.force();
                }
                r.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", r, e.toString());
            }
        }
    }
}
