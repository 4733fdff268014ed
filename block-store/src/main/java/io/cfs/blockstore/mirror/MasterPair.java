package io.cfs.blockstore.mirror;

import io.cfs.blockstore.bitmap.BitmapFile;
import io.cfs.blockstore.volume.Volume;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.FlushRequest;
import io.cfs.protocol.message.InvalidateRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReplicaWriteRequest;
import io.cfs.topology.PairMode;
import io.cfs.topology.PairSpec;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pair whose master volume is on this storage system: the write path that mirrors each write as
 * the pair's mode says, the pair's rows of the Bitmap Table, its written bitmap (every cluster a
 * write ever touched, what a mirror created empty lacks), the cluster stripes that order writes
 * against the Sync Daemon's copies, and the Check Invalid read of a mirror held on this same
 * storage system.
 *
 * <p>Write path methods block on disk I/O and must run on a disk executor thread.
 */
public final class MasterPair {
    private static final Logger log = LoggerFactory.getLogger(MasterPair.class);

    /**
     * One mirror of the pair: its member number, where it is, its Bitmap Table row (a set bit: the
     * mirror lacks the master's bytes of that cluster), when it is on this storage system its volume,
     * else the read lease this storage system grants it, and whether the write path last failed to
     * reach it (to log a failure once, not per write).
     */
    public record MirrorLink(int member, VolumeAddress address, BitmapFile row, Volume local, GrantedLease lease,
                             AtomicBoolean degraded) {
        public MirrorLink {
            if ((local == null) == (lease == null)) {
                throw new IllegalArgumentException("mirror " + address + ": expected either its volume here or the "
                        + "read lease granted to it on another storage system, not " + (local == null ? "neither"
                        : "both"));
            }
        }

        /** A mirror on this storage system. */
        public static MirrorLink local(int member, VolumeAddress address, BitmapFile row, Volume local) {
            return new MirrorLink(member, address, row, local, null, new AtomicBoolean());
        }

        /** A mirror on another storage system, which reads under {@code lease}. */
        public static MirrorLink remote(int member, VolumeAddress address, BitmapFile row, GrantedLease lease) {
            return new MirrorLink(member, address, row, null, lease, new AtomicBoolean());
        }

        public boolean isLocal() {
            return local != null;
        }
    }

    private final PairSpec spec;
    private final Volume master;
    private final int clusterSize;
    private final long clusters;
    private final List<MirrorLink> mirrors;
    private final BitmapFile written;
    private final ClusterStripes stripes;
    private final Peers peers;
    private final Executor disk;
    private final Runnable wakeSync;

    /**
     * @param written  the pair's written bitmap: one bit per cluster of the master, set by every write
     * @param wakeSync called when bits were set that the Sync Daemon must copy
     */
    public MasterPair(PairSpec spec, Volume master, int clusterSize, List<MirrorLink> mirrors, BitmapFile written,
                      ClusterStripes stripes, Peers peers, Executor disk, Runnable wakeSync) {
        this.spec = spec;
        this.master = master;
        this.clusterSize = clusterSize;
        this.clusters = clustersOf(master.capacity(), clusterSize);
        this.mirrors = List.copyOf(mirrors);
        if (written.size() != clusters) {
            throw new IllegalArgumentException(written + " has " + written.size() + " bits: expected one per cluster of "
                    + "master " + spec.master() + " (" + clusters + ")");
        }
        this.written = written;
        this.stripes = stripes;
        this.peers = peers;
        this.disk = disk;
        this.wakeSync = wakeSync;
    }

    /** The number of clusters of a volume of {@code capacity} bytes. */
    public static long clustersOf(long capacity, int clusterSize) {
        return (capacity + clusterSize - 1) / clusterSize;
    }

    public PairSpec spec() {
        return spec;
    }

    public Volume master() {
        return master;
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** The number of bytes of cluster {@code cluster} (the last one may be short). */
    public int clusterLength(long cluster) {
        return (int) Math.min(clusterSize, master.capacity() - cluster * clusterSize);
    }

    public List<MirrorLink> mirrors() {
        return mirrors;
    }

    public ClusterStripes stripes() {
        return stripes;
    }

    /** The mirror with member number {@code member} (1..n). */
    public MirrorLink mirror(int member) {
        for (MirrorLink m : mirrors) {
            if (m.member() == member) {
                return m;
            }
        }
        throw new CfsException(ErrorCode.INVALID_ARGUMENT, "pair " + spec.id() + " has no mirror " + member
                + ": expected 1.." + mirrors.size());
    }

    /**
     * Answers a mirror's lease renewal: the lease in milliseconds, 0 while withheld.
     *
     * @throws CfsException if the mirror is on this storage system (it needs no lease)
     */
    public int renewLease(int member) {
        MirrorLink m = mirror(member);
        if (m.isLocal()) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "mirror " + m.address() + " of pair " + spec.id()
                    + " is on the master's storage system: only a mirror on another one reads under a lease");
        }
        return m.lease().grant();
    }

    /** The clusters any write ever touched on the master (the others hold only zeros). */
    public long writtenClusters() {
        return written.cardinality();
    }

    /**
     * For a mirror whose volume was just created empty: marks every cluster ever written on the
     * master invalid in its Bitmap Table row (the others are zero on both sides), makes the row
     * durable and wakes the Sync Daemon. Idempotent: asking again only marks them again. Blocks on
     * disk I/O.
     */
    public void markWrittenInvalid(MirrorLink m) {
        m.row().or(written.toBitSet());
        if (m.isLocal()) {
            m.local().dropCached(0, clusters);
        }
        m.row().force();
        wakeSync.run();
    }

    /** Set bits summed over the mirrors: clusters the Sync Daemon has still to copy. */
    public long invalidClusters() {
        long n = 0;
        for (MirrorLink m : mirrors) {
            n += m.row().cardinality();
        }
        return n;
    }

    /**
     * Writes {@code data} (owned by this call) at {@code offset} of the master and mirrors it. The
     * future completes when the write may be acknowledged: for a sync pair once every reachable
     * mirror has it, for an async pair once every mirror on another storage system has been told
     * the clusters are stale. A mirror that fails does not fail the write: its clusters stay set in
     * the Bitmap Table and the Sync Daemon copies them when it can. A mirror on another storage
     * system that cannot be told (or sent the copy) in time loses its read lease, and the write
     * waits until that lease has certainly expired, so that it never serves the old bytes after
     * the acknowledgement (see {@link GrantedLease#acknowledgeable}).
     */
    public CompletableFuture<Void> write(long offset, ByteBuf data) throws IOException {
        try {
            int length = data.readableBytes();
            master.checkRange(offset, length);
            if (length == 0) {
                return CompletableFuture.completedFuture(null);
            }
            long first = offset / clusterSize;
            long count = (offset + length - 1) / clusterSize - first + 1;
            // Before the master changes, like the Bitmap Table rows: what a mirror created empty must get.
            written.set(first, count);
            return spec.mode() == PairMode.SYNC ? writeSync(offset, data, first, count)
                    : writeAsync(offset, data, first, count);
        } catch (IOException | RuntimeException e) {
            wakeSync.run(); // bits may have been set before the failure: let the Sync Daemon copy what the master holds
            throw e;
        } finally {
            data.release();
        }
    }

    private CompletableFuture<Void> writeAsync(long offset, ByteBuf data, long first, long count) throws IOException {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        try (ClusterStripes.Held held = stripes.lock(first, count)) {
            for (MirrorLink m : mirrors) {
                m.row().set(first, count);
                if (m.isLocal()) {
                    m.local().dropCached(first, count); // stale now: never cached as the mirror's data
                }
            }
            held.countWrite();
            // The invalidations go out first and travel while the master is written (a mirror told
            // too early only copies these clusters again: the stripes stay locked until the master
            // holds the new bytes, so the Sync Daemon cannot copy the old ones meanwhile).
            for (MirrorLink m : mirrors) {
                if (!m.isLocal()) {
                    acks.add(m.lease().acknowledgeable(invalidate(m, first, (int) count)));
                }
            }
            writeMaster(offset, data);
        }
        if (!mirrors.isEmpty()) {
            wakeSync.run();
        }
        return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
    }

    /** Tells a mirror on another storage system that clusters are stale; completes with whether it was told. */
    private CompletableFuture<Boolean> invalidate(MirrorLink m, long first, int count) {
        return peers.call(m.address().storage(), new InvalidateRequest(m.address().volume(), first, count), OkReply.class)
                .handle((ok, error) -> {
                    if (error == null) {
                        reachable(m);
                        return true;
                    }
                    unreachable(m, "could not mark clusters " + first + ".." + (first + count - 1) + " stale", error,
                            "writes are acknowledged once its read lease has expired; it learns the stale clusters "
                                    + "from the Bitmap Table when it reconnects");
                    return false;
                });
    }

    /** Logs the first failure of a run of failures to reach a mirror. */
    private void unreachable(MirrorLink m, String what, Throwable error, String consequence) {
        if (m.degraded().compareAndSet(false, true)) {
            log.warn("pair {}: mirror {}: {}: {}; {} (logged once until it answers again)", spec.id(), m.address(),
                    what, Futures.describe(error), consequence);
        }
    }

    private void reachable(MirrorLink m) {
        if (m.degraded().compareAndSet(true, false)) {
            log.info("pair {}: mirror {} answers again", spec.id(), m.address());
        }
    }

    private CompletableFuture<Void> writeSync(long offset, ByteBuf data, long first, long count) throws IOException {
        int n = (int) count;
        BitSet[] wasSet = new BitSet[mirrors.size()];
        long[] stamps = new long[n];
        List<CompletableFuture<Boolean>> copied = new ArrayList<>();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        try (ClusterStripes.Held held = stripes.lock(first, count)) {
            // Write-intent: the bits are set before any copy changes, and stay set for a mirror that fails.
            for (int i = 0; i < mirrors.size(); i++) {
                wasSet[i] = mirrors.get(i).row().range(first, n);
                mirrors.get(i).row().set(first, count);
            }
            held.countWrite();
            for (int c = 0; c < n; c++) {
                stamps[c] = held.writes(first + c);
            }
            // The copies to other storage systems go out first and travel while the master is written
            // (the bits say the mirrors lack these clusters until the copies settle; if the master's
            // write fails, they stay set and the Sync Daemon copies what the master holds).
            List<CompletableFuture<Boolean>> remote = new ArrayList<>();
            for (MirrorLink m : mirrors) {
                remote.add(m.isLocal() ? null : copyToRemote(m, offset, data));
            }
            writeMaster(offset, data);
            held.startSyncWrite();
            for (int i = 0; i < mirrors.size(); i++) {
                MirrorLink m = mirrors.get(i);
                if (m.isLocal()) {
                    copied.add(CompletableFuture.completedFuture(writeLocalMirror(m, offset, data)));
                } else {
                    copied.add(remote.get(i));
                    acks.add(m.lease().acknowledgeable(remote.get(i)));
                }
            }
        }
        CompletableFuture<Void> settled = CompletableFuture.allOf(copied.toArray(CompletableFuture[]::new))
                .thenRunAsync(() -> settleSync(first, count, wasSet, stamps, copied), disk);
        // Acknowledged once every copy has settled, or earlier once a copy still unanswered (a silent
        // link) is covered by its mirror's expired lease: its bits stay set, the Sync Daemon copies it.
        CompletableFuture<Void> ack = new CompletableFuture<>();
        settled.whenComplete((v, error) -> {
            if (error != null) {
                ack.completeExceptionally(error);
            } else {
                ack.complete(null);
            }
        });
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).thenRun(() -> {
            if (copied.stream().anyMatch(c -> !c.isDone())) {
                ack.complete(null);
            }
        });
        return ack;
    }

    /**
     * Once every copy of a sync write has answered: clears the bits of the mirrors that have it,
     * and wakes the Sync Daemon for those that do not.
     */
    private void settleSync(long first, long count, BitSet[] wasSet, long[] stamps,
                            List<CompletableFuture<Boolean>> copied) {
        int n = (int) count;
        boolean degraded = false;
        try (ClusterStripes.Held held = stripes.lock(first, count)) {
            held.endSyncWrite();
            for (int i = 0; i < mirrors.size(); i++) {
                MirrorLink m = mirrors.get(i);
                if (copied.get(i).join()) {
                    clearCopied(m, first, n, wasSet[i], held, stamps);
                }
                long next = m.row().nextSetBit(first);
                degraded |= next >= 0 && next < first + count;
            }
        }
        if (degraded) {
            wakeSync.run();
        }
    }

    /** Writes a sync copy to a mirror on this storage system; false (logged) if it failed. */
    private boolean writeLocalMirror(MirrorLink m, long offset, ByteBuf data) {
        try {
            m.local().write(offset, data);
            reachable(m);
            return true;
        } catch (IOException | RuntimeException e) {
            unreachable(m, "a write of " + data.readableBytes() + " bytes at offset " + offset + " failed", e,
                    "its clusters stay invalid in the Bitmap Table for the Sync Daemon");
            return false;
        }
    }

    /** Sends a sync copy to a mirror on another storage system; completes false (logged) if it failed. */
    private CompletableFuture<Boolean> copyToRemote(MirrorLink m, long offset, ByteBuf data) {
        int length = data.readableBytes();
        return peers.call(m.address().storage(),
                        new ReplicaWriteRequest(m.address().volume(), offset, data.retainedDuplicate()), OkReply.class)
                .handle((ok, error) -> {
                    if (error == null) {
                        reachable(m);
                        return true;
                    }
                    unreachable(m, "a copy of " + length + " bytes at offset " + offset + " failed", error,
                            "writes are acknowledged degraded once its read lease has expired, and the Sync Daemon "
                                    + "copies them later");
                    return false;
                });
    }

    /**
     * Clears the bits of a sync write's clusters on a mirror that now has it, except those that were
     * set before the write (the mirror lacked other bytes of them) and those whose stripe saw another
     * write since {@code stamps} (that write decides).
     */
    private static void clearCopied(MirrorLink m, long first, int n, BitSet wasSet, ClusterStripes.Held held,
                                    long[] stamps) {
        for (int c = 0; c < n; c++) {
            if (!wasSet.get(c) && held.writes(first + c) == stamps[c]) {
                m.row().clear(first + c, 1);
            }
        }
    }

    private void writeMaster(long offset, ByteBuf data) throws IOException {
        try {
            master.write(offset, data);
        } catch (IOException e) {
            throw new IOException("master " + spec.master() + " of pair " + spec.id() + ": write of "
                    + data.readableBytes() + " bytes at offset " + offset + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Makes every acknowledged write durable: forces the master and the pair's Bitmap Table rows
     * and, for a sync pair, the mirrors (a local one directly, a remote one with a FLUSH to its
     * storage system). A remote mirror that cannot flush is logged; the master is durable.
     */
    public CompletableFuture<Void> flush() throws IOException {
        master.force();
        written.force();
        for (MirrorLink m : mirrors) {
            m.row().force();
        }
        if (spec.mode() != PairMode.SYNC) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> flushes = new ArrayList<>();
        for (MirrorLink m : mirrors) {
            if (m.isLocal()) {
                m.local().force();
            } else {
                flushes.add(peers.call(m.address().storage(), new FlushRequest(m.address().volume()), OkReply.class)
                        .handle((ok, error) -> {
                            if (error != null) {
                                log.warn("pair {}: could not flush mirror {}: {}", spec.id(), m.address(),
                                        Futures.describe(error));
                            }
                            return null;
                        }));
            }
        }
        return CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new));
    }

    /**
     * Check Invalid for a mirror on this storage system: the clusters its Bitmap Table row marks
     * stale are read from the master, the others from the mirror, each through the cache (a
     * mirror's cluster is cached only while it is valid).
     */
    public ByteBuf readMirror(MirrorLink m, ByteBufAllocator alloc, long offset, int length) throws IOException {
        m.local().checkRange(offset, length);
        List<CheckInvalid.Run> runs = CheckInvalid.runs(offset, length, clusterSize, c -> isStale(m, c));
        ByteBuf buf = alloc.directBuffer(length, length);
        try {
            for (CheckInvalid.Run run : runs) {
                int at = (int) (run.offset() - offset);
                if (run.stale()) {
                    master.readCached(buf, at, run.offset(), run.length(), c -> true);
                } else {
                    m.local().readCached(buf, at, run.offset(), run.length(), c -> !isStale(m, c));
                }
            }
            buf.writerIndex(length);
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /**
     * Check Invalid from memory only: the bytes if every cluster is cached (a stale one as the
     * master's, a valid one as the mirror's), else null. Touches no disk.
     */
    public ByteBuf readMirrorFromCache(MirrorLink m, ByteBufAllocator alloc, long offset, int length) {
        m.local().checkRange(offset, length);
        List<CheckInvalid.Run> runs = CheckInvalid.runs(offset, length, clusterSize, c -> isStale(m, c));
        ByteBuf buf = alloc.directBuffer(length, length);
        for (CheckInvalid.Run run : runs) {
            Volume from = run.stale() ? master : m.local();
            if (!from.copyCached(buf, (int) (run.offset() - offset), run.offset(), run.length())) {
                buf.release();
                return null;
            }
        }
        return buf.writerIndex(length);
    }

    private boolean isStale(MirrorLink m, long cluster) {
        return cluster < clusters && m.row().get(cluster);
    }

    /**
     * The clusters of master range {@code [offset, offset+length)} that mirror {@code member} lacks
     * (set bits of its Bitmap Table row over the clusters the range touches); 0 for the master
     * itself (member 0).
     */
    public long countInvalid(int member, long offset, long length) {
        if (offset < 0 || length < 0 || offset > master.capacity() - length) {
            throw new CfsException(ErrorCode.OUT_OF_RANGE, "pair " + spec.id() + ": range at offset " + offset + " of "
                    + length + " bytes: expected within the capacity of master " + spec.master() + " ("
                    + master.capacity() + " bytes)");
        }
        if (member == 0) {
            return 0;
        }
        MirrorLink m = mirror(member);
        if (length == 0) {
            return 0;
        }
        long first = offset / clusterSize;
        return m.row().count(first, (offset + length - 1) / clusterSize - first + 1);
    }

    /**
     * Marks {@code count} clusters of mirror {@code member} from {@code firstCluster} invalid (the
     * scrub's repair of a mirror whose bytes differ): sets the bits as a write does (so copies in
     * flight do not clear them), makes the row durable, tells a mirror on another storage system
     * that the clusters are stale (in order with the copies on its connection; if it cannot be
     * reached it loses its read lease, the future completes once that has expired, and it learns
     * them from the row when it reconnects), drops a local mirror's cached
     * clusters and wakes the Sync Daemon to copy them from the master. Blocks on disk I/O.
     */
    public CompletableFuture<Void> markInvalid(int member, long firstCluster, int count) {
        if (member == 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "pair " + spec.id() + ": member 0 is the master "
                    + spec.master() + ", which has no Bitmap Table row: expected a mirror 1.." + mirrors.size());
        }
        MirrorLink m = mirror(member);
        if (firstCluster < 0 || count < 0 || firstCluster > clusters - count) {
            throw new CfsException(ErrorCode.OUT_OF_RANGE, "pair " + spec.id() + " mirror " + member + ": clusters "
                    + firstCluster + ".." + (firstCluster + count - 1) + ": expected within 0.." + (clusters - 1)
                    + " (the clusters of master " + spec.master() + ")");
        }
        if (count == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> told = CompletableFuture.completedFuture(null);
        try (ClusterStripes.Held held = stripes.lock(firstCluster, count)) {
            m.row().set(firstCluster, count);
            held.countWrite();
            if (m.isLocal()) {
                m.local().dropCached(firstCluster, count);
            } else {
                told = m.lease().acknowledgeable(invalidate(m, firstCluster, count));
            }
        }
        m.row().force();
        wakeSync.run();
        log.info("pair {}: clusters {}..{} of mirror {} marked invalid: the Sync Daemon copies them from master {}",
                spec.id(), firstCluster, firstCluster + count - 1, m.address(), spec.master());
        return told;
    }

    @Override
    public String toString() {
        return "pair " + spec.id() + " (" + spec.mode().name().toLowerCase() + ", master " + spec.master() + ")";
    }
}
