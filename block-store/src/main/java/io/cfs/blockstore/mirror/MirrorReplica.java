package io.cfs.blockstore.mirror;

import io.cfs.blockstore.bitmap.BitmapFile;
import io.cfs.blockstore.volume.OrderedExecutor;
import io.cfs.blockstore.volume.Volume;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.topology.PairSpec;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mirror volume held here whose master is on another storage system, with this storage
 * system's own persisted stale map of it ({@code <data>/stale/<volume>.bits}): the clusters it must
 * not serve itself. Invalidations set bits, replica writes clear the clusters they wholly cover
 * once the bytes are written; both run in arrival order on one {@link OrderedExecutor}, so a copy
 * and a later invalidation of the same cluster cannot swap.
 *
 * <p>Until the master's Bitmap Table row has been fetched and or-ed in ({@link #applyMasterRow}),
 * the map is unconfirmed (the master may have marked clusters while this storage system was away)
 * and every read is served from the master.
 *
 * <p>A mirror whose volume was created empty is <em>fresh</em> (persisted by a {@link
 * FreshMarker}) until confirmed: its map starts all stale, it asks the master with {@code fresh}
 * set, and the master marks every cluster ever written on it invalid in this mirror's row before
 * answering. The answer then replaces the map rather than being or-ed in: a cluster the master
 * does not mark is zero on both sides. Only clusters invalidated here since the request was sent
 * stay stale beyond the answer (they changed after it), and a cluster a master push made valid
 * here stays valid. The master's Sync Daemon pushes the rest; nothing is pulled.
 *
 * <p>The clusters it believes valid are served from this volume only while it holds a read lease
 * from the master's storage system ({@link HeldLease}): if the master could not tell it that
 * clusters went stale (a partition), the master stops renewing the lease and acknowledges the
 * write only once it has expired. Without a lease every read goes to the master, or fails at once
 * with {@code UNAVAILABLE} (the client reads another member) if the master does not answer.
 *
 * <p>Each stripe of clusters has a generation, bumped by every invalidation and replica write: a
 * cluster pulled from the master (see {@link #pullApply}) is only stored if its generation did not
 * move while the bytes were on their way, so an older copy never overwrites a newer one.
 */
public final class MirrorReplica {
    private static final Logger log = LoggerFactory.getLogger(MirrorReplica.class);
    private static final int STRIPES = ClusterStripes.DEFAULT_STRIPES;

    private final PairSpec pair;
    private final int member;
    private final VolumeAddress address;
    private final Volume volume;
    private final BitmapFile stale;
    private final int clusterSize;
    private final long clusters;
    private final long masterCapacity;
    private final OrderedExecutor serial;
    private final MasterFetcher master;
    private final LongSupplier clock;
    private final FreshMarker freshMarker;
    private final HeldLease lease;
    /** Touched only on {@link #serial}. */
    private final long[] generations = new long[STRIPES];
    /** While a fresh confirmation is asked: the clusters invalidated since. Touched only on {@link #serial}. */
    private BitSet invalidatedSinceAsked;
    private volatile boolean fresh;
    private volatile boolean confirmed;
    private volatile long lastChangeNanos;

    /**
     * @param stale          the persisted stale map, one bit per cluster of the master
     * @param freshMarker    where this mirror's fresh mark is kept: the mirror is fresh if it exists
     *                       (null: never fresh)
     * @param masterCapacity the capacity of the master volume (a mirror may be larger)
     * @param clock          nanoTime source for {@link #lastChangeNanos()}
     */
    public MirrorReplica(PairSpec pair, int member, Volume volume, BitmapFile stale, FreshMarker freshMarker,
                         int clusterSize, long masterCapacity, Executor disk, MasterFetcher master, LongSupplier clock) {
        this.pair = pair;
        this.member = member;
        this.address = pair.member(member);
        this.volume = volume;
        this.stale = stale;
        this.clusterSize = clusterSize;
        this.clusters = stale.size();
        this.masterCapacity = masterCapacity;
        if (clusters != MasterPair.clustersOf(masterCapacity, clusterSize)) {
            throw new IllegalArgumentException(stale + " has " + clusters + " bits: expected one per cluster of master "
                    + pair.master());
        }
        this.serial = new OrderedExecutor(disk);
        this.master = master;
        this.clock = clock;
        this.lastChangeNanos = clock.getAsLong();
        this.freshMarker = freshMarker;
        this.fresh = freshMarker != null && freshMarker.exists();
        this.lease = new HeldLease(clock);
    }

    public PairSpec pair() {
        return pair;
    }

    public int member() {
        return member;
    }

    public VolumeAddress address() {
        return address;
    }

    public Volume volume() {
        return volume;
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** Whether the volume was created empty and its master has not yet confirmed it (see {@link FreshMarker}). */
    public boolean fresh() {
        return fresh;
    }

    /** Whether the stale map has been confirmed against the master's Bitmap Table since startup. */
    public boolean confirmed() {
        return confirmed;
    }

    /** Its read lease from the master's storage system. */
    public HeldLease lease() {
        return lease;
    }

    /** When a replica write or an invalidation last arrived ({@code clock} nanos). */
    public long lastChangeNanos() {
        return lastChangeNanos;
    }

    /** The clusters this mirror must not serve itself (all of them while unconfirmed). */
    public long invalidClusters() {
        return confirmed ? stale.cardinality() : clusters;
    }

    /** The clusters marked stale in the persisted map. */
    public long staleClusters() {
        return stale.cardinality();
    }

    /** The first stale cluster at or after {@code from}, or -1. */
    public long nextStale(long from) {
        return stale.nextSetBit(from);
    }

    /**
     * Writes {@code data} (owned by this call) from the master's storage system, then marks the
     * clusters it wholly covers valid. A failed write marks every cluster it touched stale.
     */
    public CompletableFuture<Void> replicaWrite(long offset, ByteBuf data) {
        int length = data.readableBytes();
        try {
            volume.checkRange(offset, length);
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        try {
            return CompletableFuture.runAsync(() -> storeReplica(offset, data), serial);
        } catch (RejectedExecutionException e) {
            data.release();
            throw new CfsException(ErrorCode.UNAVAILABLE, "mirror " + address + " is shutting down");
        }
    }

    private void storeReplica(long offset, ByteBuf data) {
        int length = data.readableBytes();
        try {
            lastChangeNanos = clock.getAsLong();
            if (length == 0) {
                return;
            }
            long firstTouched = offset / clusterSize;
            long lastTouched = (offset + length - 1) / clusterSize;
            bump(firstTouched, lastTouched);
            try {
                volume.write(offset, data);
            } catch (IOException e) {
                markStale(firstTouched, lastTouched);
                throw new CompletionException(new CfsException(ErrorCode.IO_ERROR, "mirror " + address
                        + ": replica write of " + length + " bytes at offset " + offset + " failed: " + e, e));
            }
            long firstWhole = (offset + clusterSize - 1) / clusterSize;
            long endWhole = Math.min((offset + length) / clusterSize, clusters);
            if (endWhole > firstWhole) {
                stale.clear(firstWhole, endWhole - firstWhole);
            }
        } finally {
            data.release();
        }
    }

    private void markStale(long firstTouched, long lastTouched) {
        long end = Math.min(lastTouched + 1, clusters);
        if (end > firstTouched) {
            stale.set(firstTouched, end - firstTouched);
            noteInvalidated(firstTouched, end);
        }
    }

    /** Remembers clusters made stale while a fresh confirmation is asked (on {@link #serial}). */
    private void noteInvalidated(long from, long to) {
        if (invalidatedSinceAsked != null) {
            invalidatedSinceAsked.set((int) from, (int) to);
        }
    }

    /** Marks {@code count} clusters from {@code first} stale, in order with the replica writes. */
    public CompletableFuture<Void> invalidate(long first, int count) {
        if (first < 0 || count < 0 || first > clusters - count) {
            throw new CfsException(ErrorCode.OUT_OF_RANGE, "mirror " + address + ": invalidate clusters " + first
                    + ".." + (first + count - 1) + ": expected within 0.." + (clusters - 1));
        }
        return CompletableFuture.runAsync(() -> {
            lastChangeNanos = clock.getAsLong();
            if (count > 0) {
                bump(first, first + count - 1);
                stale.set(first, count);
                volume.dropCached(first, count); // stale now: never cached as this mirror's data
                noteInvalidated(first, first + count);
            }
        }, serial);
    }

    private void bump(long firstCluster, long lastCluster) {
        long n = Math.min(lastCluster - firstCluster + 1, STRIPES);
        for (long c = firstCluster; c < firstCluster + n; c++) {
            generations[(int) (c & (STRIPES - 1))]++;
        }
    }

    /**
     * Call before asking the master for its row of this mirror: completes, in order with the
     * replica writes and invalidations, with whether to ask as fresh; if so, from here on the
     * clusters invalidated are remembered for {@link #applyMasterRow}. No lease renewal may be sent
     * from here until the row is applied.
     */
    public CompletableFuture<Boolean> beginConfirm() {
        lease.fetchingRow();
        return CompletableFuture.supplyAsync(() -> {
            invalidatedSinceAsked = fresh ? new BitSet() : null;
            return fresh;
        }, serial);
    }

    /**
     * Applies the master's Bitmap Table row of this mirror (asked after {@link #beginConfirm}) and
     * marks the map confirmed. Not fresh: or-s it in and returns the clusters stale here that the
     * master does not mean to copy (a copy whose bit a race left set, a row the master lost): the
     * Sync Client pulls those itself. Fresh: the map keeps only the clusters the master marked or
     * that were invalidated here since it was asked, is forced, and the fresh mark removed; nothing
     * is left to pull.
     */
    public CompletableFuture<BitSet> applyMasterRow(BitSet row) {
        return CompletableFuture.supplyAsync(() -> {
            if (fresh) {
                BitSet keep = (BitSet) row.clone();
                if (invalidatedSinceAsked != null) {
                    keep.or(invalidatedSinceAsked);
                }
                invalidatedSinceAsked = null;
                stale.and(keep);
                stale.force();
                try {
                    if (freshMarker != null) {
                        freshMarker.remove();
                    }
                } catch (IOException e) {
                    log.warn("{}: could not remove {}: {}; the next start will ask its master as fresh again "
                            + "(harmless: the written clusters are copied again)", this, freshMarker, e.toString());
                }
                fresh = false;
                confirmed = true;
                lease.rowApplied();
                return new BitSet();
            }
            stale.or(row);
            for (int c = row.nextSetBit(0); c >= 0 && c < clusters; c = row.nextSetBit(c)) {
                int end = row.nextClearBit(c);
                volume.dropCached(c, end - c);
                c = end;
            }
            confirmed = true;
            lease.rowApplied();
            BitSet orphans = stale.toBitSet();
            orphans.andNot(row);
            return orphans;
        }, serial);
    }

    /**
     * First half of a pull: if {@code cluster} is still stale, returns its stripe generation (to
     * hand to {@link #pullApply}), else -1.
     */
    public CompletableFuture<Long> pullStart(long cluster) {
        return CompletableFuture.supplyAsync(() -> stale.get(cluster)
                ? generations[(int) (cluster & (STRIPES - 1))] : -1L, serial);
    }

    /**
     * Second half of a pull: stores the master's bytes of {@code cluster} (owned by this call)
     * unless an invalidation or a replica write touched its stripe since {@link #pullStart}, and
     * marks it valid. Bytes equal to what the volume holds are not rewritten (a sparse volume stays
     * sparse). Returns whether the cluster is now valid.
     */
    public CompletableFuture<Boolean> pullApply(long cluster, long generation, ByteBuf data) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                if (generations[(int) (cluster & (STRIPES - 1))] != generation || !stale.get(cluster)) {
                    return false;
                }
                long offset = cluster * clusterSize;
                ByteBuf local = volume.read(data.alloc(), offset, data.readableBytes());
                try {
                    if (!ByteBufUtil.equals(local, data)) {
                        volume.write(offset, data);
                    }
                } finally {
                    local.release();
                }
                stale.clear(cluster, 1);
                return true;
            } catch (IOException e) {
                throw new CompletionException(new CfsException(ErrorCode.IO_ERROR, "mirror " + address
                        + ": storing pulled cluster " + cluster + " failed: " + e, e));
            } finally {
                data.release();
            }
        }, serial);
    }

    /** The number of bytes of cluster {@code cluster} of the master (the last one may be short). */
    public int clusterLength(long cluster) {
        return (int) Math.min(clusterSize, masterCapacity - cluster * clusterSize);
    }

    /**
     * Check Invalid: reads {@code length} bytes at {@code offset}; clusters stale here (every
     * cluster while unconfirmed or without a read lease) are fetched from the master, the others
     * read from this volume through the cache (cached only while valid here). Without a lease from
     * a master that does not answer, fails at once ({@code UNAVAILABLE}). Blocks on disk I/O: call
     * on a disk executor thread.
     */
    public CompletableFuture<ByteBuf> read(ByteBufAllocator alloc, long offset, int length) throws IOException {
        volume.checkRange(offset, length);
        boolean trusted = confirmed && lease.valid();
        if (!trusted && confirmed && lease.masterSilent()) {
            throw new CfsException(ErrorCode.UNAVAILABLE, this + " holds no read lease: its master's storage system "
                    + pair.master().storage() + " does not answer its renewals, so it cannot tell which clusters "
                    + "are stale: read another member of pair " + pair.id());
        }
        List<CheckInvalid.Run> runs = CheckInvalid.runs(offset, length, clusterSize, c -> !trusted || isStale(c));
        if (runs.size() == 1 && runs.get(0).stale()) {
            return fetch(offset, length, trusted);
        }
        ByteBuf buf = alloc.directBuffer(length, length);
        List<CompletableFuture<Void>> fetches = new ArrayList<>();
        try {
            for (CheckInvalid.Run run : runs) {
                int at = (int) (run.offset() - offset);
                if (!run.stale()) {
                    volume.readCached(buf, at, run.offset(), run.length(), c -> confirmed && !isStale(c));
                } else {
                    fetches.add(fetch(run.offset(), run.length(), trusted).thenAccept(part -> {
                        try {
                            buf.setBytes(at, part, part.readerIndex(), run.length());
                        } finally {
                            part.release();
                        }
                    }));
                }
            }
        } catch (IOException | RuntimeException e) {
            // Let fetches already sent land before the buffer goes.
            CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new)).whenComplete((v, x) -> buf.release());
            throw e;
        }
        buf.writerIndex(length);
        return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new)).handle((v, error) -> {
            if (error != null) {
                buf.release();
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            return buf;
        });
    }

    /**
     * Check Invalid from memory only: the bytes if the map is confirmed, the read lease held, no
     * cluster of the range is stale here and every one is cached, else null. Touches no disk and no
     * master.
     */
    public ByteBuf readFromCache(ByteBufAllocator alloc, long offset, int length) {
        volume.checkRange(offset, length);
        if (!confirmed || !lease.valid()) {
            return null;
        }
        long last = length == 0 ? -1 : Math.min((offset + length - 1) / clusterSize, clusters - 1);
        for (long c = offset / clusterSize; c <= last; c++) {
            if (stale.get(c)) {
                return null;
            }
        }
        ByteBuf buf = alloc.directBuffer(length, length);
        if (!volume.copyCached(buf, 0, offset, length)) {
            buf.release();
            return null;
        }
        return buf.writerIndex(length);
    }

    private boolean isStale(long cluster) {
        return cluster < clusters && stale.get(cluster);
    }

    private CompletableFuture<ByteBuf> fetch(long offset, int length, boolean trusted) {
        return master.read(pair.master(), offset, length).exceptionally(error -> {
            throw Futures.wrap(error, ErrorCode.UNAVAILABLE, "mirror " + address + " cannot serve " + length
                    + " bytes at offset " + offset + ": " + (trusted ? "they are stale here"
                    : confirmed ? "it holds no read lease from the master"
                    : "its stale map is not yet confirmed by the master") + " and master " + pair.master()
                    + " failed");
        });
    }

    /** Forces the volume and the stale map to the disk. */
    public void force() throws IOException {
        volume.force();
        stale.force();
    }

    @Override
    public String toString() {
        return "mirror " + address + " of pair " + pair.id() + " (master " + pair.master() + ")";
    }
}
