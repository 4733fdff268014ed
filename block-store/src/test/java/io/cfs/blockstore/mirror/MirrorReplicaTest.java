package io.cfs.blockstore.mirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.bitmap.BitmapFile;
import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.blockstore.volume.Bandwidth;
import io.cfs.blockstore.volume.Volume;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.LeakCheck;
import io.cfs.topology.PairId;
import io.cfs.topology.PairMode;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeAddress;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A cross-SS mirror without sockets: the master is a byte array behind a fake Sync Client. */
@ExtendWith(LeakCheck.Collecting.class)
class MirrorReplicaTest {
    static final int CLUSTER = 4096;
    static final int CLUSTERS = 16;

    @TempDir
    Path dir;
    ExecutorService disk;
    Volume volume;
    BitmapFile stale;
    final byte[] master = new byte[CLUSTER * CLUSTERS];
    final List<long[]> masterReads = new ArrayList<>();
    final BitSet masterRow = new BitSet();
    final List<Boolean> askedFresh = new ArrayList<>();
    volatile boolean masterDown;
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    MirrorReplica replica;

    final MasterFetcher fetcher = new MasterFetcher() {
        @Override
        public CompletableFuture<ByteBuf> read(VolumeAddress address, long offset, int length) {
            synchronized (masterReads) {
                masterReads.add(new long[] {offset, length});
            }
            if (masterDown) {
                return CompletableFuture.failedFuture(new CfsException(ErrorCode.UNAVAILABLE, "master down"));
            }
            return CompletableFuture.completedFuture(PooledByteBufAllocator.DEFAULT.directBuffer(length)
                    .writeBytes(master, (int) offset, length));
        }

        @Override
        public CompletableFuture<BitSet> mirrorBitmap(StorageId storage, PairId pair, int member, boolean fresh) {
            synchronized (askedFresh) {
                askedFresh.add(fresh);
            }
            return masterDown ? CompletableFuture.failedFuture(new CfsException(ErrorCode.UNAVAILABLE, "master down"))
                    : CompletableFuture.completedFuture((BitSet) masterRow.clone());
        }
    };

    @BeforeEach
    void open() throws Exception {
        disk = Executors.newFixedThreadPool(4);
        volume = Volume.open(new VolumeId("m"), dir.resolve("m.vol"), CLUSTER * CLUSTERS, ClusterCache.disabled(CLUSTER),
                Bandwidth.UNLIMITED);
        stale = BitmapFile.open(dir.resolve("m.bits"), CLUSTERS, false);
        replica = replica(null);
        Arrays.fill(master, (byte) 7);
    }

    MirrorReplica replica(FreshMarker fresh) {
        PairSpec pair = new PairSpec(new PairId("p"), PairMode.ASYNC, VolumeAddress.parse("ss1:v"),
                List.of(VolumeAddress.parse("ss2:m")));
        return new MirrorReplica(pair, 1, volume, stale, fresh, CLUSTER, CLUSTER * CLUSTERS, disk, fetcher,
                now::get);
    }

    static final long LEASE = TimeUnit.SECONDS.toNanos(3);

    /** Renews the read lease as the Sync Client does; the master grants it. */
    void leased() {
        long sent = replica.lease().renewalSent();
        replica.lease().granted(sent, LEASE);
    }

    @AfterEach
    void close() throws Exception {
        disk.shutdown();
        assertTrue(disk.awaitTermination(5, TimeUnit.SECONDS));
        volume.close();
    }

    byte[] read(long offset, int length) throws Exception {
        ByteBuf b = CompletableFuture.supplyAsync(() -> {
            try {
                return replica.read(PooledByteBufAllocator.DEFAULT, offset, length);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, disk).thenCompose(f -> f).get(5, TimeUnit.SECONDS);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    static ByteBuf bytes(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return PooledByteBufAllocator.DEFAULT.directBuffer(n).writeBytes(b);
    }

    @Test
    void unconfirmedReadsComeFromTheMasterOnly() throws Exception {
        assertFalse(replica.confirmed());
        assertEquals(CLUSTERS, replica.invalidClusters());
        assertArrayEquals(Arrays.copyOfRange(master, 100, 5100), read(100, 5000));
        assertEquals(1, masterReads.size(), "one read of the whole range from the master");

        masterDown = true;
        ExecutionException e = assertThrows(ExecutionException.class, () -> read(0, 10));
        CfsException c = (CfsException) Futures.unwrap(e);
        assertEquals(ErrorCode.UNAVAILABLE, c.code());
        assertTrue(c.getMessage().contains("not yet confirmed") && c.getMessage().contains("ss1:v"), c.getMessage());
    }

    @Test
    void confirmedReadsAssembleLocalAndMasterClusters() throws Exception {
        masterRow.set(2);
        BitSet orphans = replica.applyMasterRow(masterRow).get();
        assertTrue(orphans.isEmpty());
        assertTrue(replica.confirmed());
        assertEquals(1, replica.invalidClusters());
        leased();
        byte[] got = read(CLUSTER, 3 * CLUSTER); // clusters 1 (local zeros), 2 (master), 3 (local zeros)
        byte[] expected = new byte[3 * CLUSTER];
        Arrays.fill(expected, CLUSTER, 2 * CLUSTER, (byte) 7);
        assertArrayEquals(expected, got);
        assertEquals(1, masterReads.size());
        assertArrayEquals(new long[] {2 * CLUSTER, CLUSTER}, masterReads.get(0));

        masterDown = true;
        assertArrayEquals(new byte[CLUSTER], read(5 * CLUSTER, CLUSTER), "valid clusters need no master");
        ExecutionException e = assertThrows(ExecutionException.class, () -> read(2 * CLUSTER + 5, 10));
        assertTrue(Futures.unwrap(e).getMessage().contains("stale here"), e.getMessage());
    }

    @Test
    void validClustersAreServedHereOnlyUnderALease() throws Exception {
        Arrays.fill(master, 0, CLUSTER, (byte) 9); // written on the master; the invalidation never arrived
        replica.applyMasterRow(new BitSet()).get();
        assertArrayEquals(Arrays.copyOfRange(master, 0, 10), read(0, 10), "confirmed, no lease yet: from the master");
        assertEquals(1, masterReads.size());
        assertEquals(null, replica.readFromCache(PooledByteBufAllocator.DEFAULT, 0, 10), "no lease: not from memory");

        long sent = replica.lease().renewalSent();
        now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // the grant takes a second to arrive
        replica.lease().granted(sent, LEASE);
        assertArrayEquals(new byte[10], read(0, 10), "under the lease the mirror trusts its map");
        assertEquals(1, masterReads.size());

        now.addAndGet(LEASE - TimeUnit.SECONDS.toNanos(1) - 1); // 1 ns before the lease ends, counted from the send
        assertTrue(replica.lease().valid());
        now.addAndGet(1);
        assertFalse(replica.lease().valid(), "the lease runs from when the renewal was sent, not from its answer");
        assertArrayEquals(Arrays.copyOfRange(master, 0, 10), read(0, 10), "expired, master answers: from the master");
        assertEquals(2, masterReads.size());

        // A renewal the master does not answer: the mirror fails at once, the client reads another member.
        replica.lease().renewalSent();
        replica.lease().failed();
        ExecutionException e = assertThrows(ExecutionException.class, () -> read(0, 10));
        CfsException c = (CfsException) Futures.unwrap(e).getCause(); // thrown by read itself, at once
        assertEquals(ErrorCode.UNAVAILABLE, c.code());
        assertTrue(c.getMessage().contains("holds no read lease") && c.getMessage().contains("ss1"), c.getMessage());
        assertEquals(2, masterReads.size(), "not even tried: the master does not answer");

        // Withheld: the row is fetched again before any renewal, then the lease is granted again.
        assertTrue(replica.lease().mayRenew());
        replica.lease().renewalSent();
        replica.lease().withheld();
        assertFalse(replica.lease().mayRenew());
        assertThrows(IllegalStateException.class, () -> replica.lease().renewalSent());
        assertArrayEquals(Arrays.copyOfRange(master, 0, 10), read(0, 10), "withheld: from the master (it answers)");
        assertFalse(replica.beginConfirm().get());
        assertFalse(replica.lease().mayRenew(), "not while the row is being fetched");
        masterRow.set(0); // the cluster whose invalidation failed
        replica.applyMasterRow(masterRow).get();
        leased();
        assertArrayEquals(Arrays.copyOfRange(master, 0, 10), read(0, 10), "stale per the row: from the master");
        assertArrayEquals(new byte[10], read(CLUSTER, 10), "a valid cluster from here again");
    }

    @Test
    void aReplicaWriteClearsOnlyWhollyCoveredClustersAndInvalidationsKeepTheirOrder() throws Exception {
        replica.applyMasterRow(new BitSet()).get();
        replica.invalidate(0, 4).get();
        assertEquals(4, replica.staleClusters());
        // Covers cluster 1 wholly, 0 and 2 partly.
        replica.replicaWrite(CLUSTER - 10, bytes(CLUSTER + 20, 9)).get();
        assertEquals(3, replica.staleClusters());
        assertEquals(0, replica.nextStale(0));
        assertEquals(2, replica.nextStale(1));
        // A copy then an invalidation of the same cluster, queued back to back: the invalidation wins.
        CompletableFuture<Void> copy = replica.replicaWrite(3 * CLUSTER, bytes(CLUSTER, 5));
        CompletableFuture<Void> invalidation = replica.invalidate(3, 1);
        CompletableFuture.allOf(copy, invalidation).get();
        assertEquals(3, replica.nextStale(3), "the later invalidation leaves cluster 3 stale");

        CfsException e = assertThrows(CfsException.class, () -> replica.invalidate(CLUSTERS - 1, 2));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        ByteBuf tooFar = bytes(10, 1);
        e = assertThrows(CfsException.class, () -> replica.replicaWrite(CLUSTER * CLUSTERS - 5, tooFar));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertEquals(0, tooFar.refCnt(), "a refused replica write is released");
    }

    @Test
    void aPullIsDroppedIfTheClusterChangedMeanwhile() throws Exception {
        stale.set(4, 3); // e.g. bits a race left set: the master's row does not mark them
        BitSet orphans = replica.applyMasterRow(new BitSet()).get();
        assertEquals(BitSet.valueOf(new long[] {0b111L << 4}), orphans, "stale here, not marked by the master: to pull");
        long generation = replica.pullStart(4).get();
        assertTrue(generation >= 0);
        replica.replicaWrite(4 * CLUSTER + 1, bytes(10, 3)).get(); // a newer (partial) copy arrives meanwhile
        assertFalse(replica.pullApply(4, generation, bytes(CLUSTER, 7)).get(), "the older pull is dropped");
        assertEquals(4, replica.nextStale(4));

        generation = replica.pullStart(5).get();
        assertTrue(replica.pullApply(5, generation, bytes(CLUSTER, 7)).get());
        assertEquals(6, replica.nextStale(5));
        ByteBuf local = volume.read(PooledByteBufAllocator.DEFAULT, 5 * CLUSTER, CLUSTER);
        try {
            assertArrayEquals(Arrays.copyOfRange(master, 5 * CLUSTER, 6 * CLUSTER), ByteBufUtil.getBytes(local));
        } finally {
            local.release();
        }
        assertEquals(-1L, replica.pullStart(5).get(), "a valid cluster is not pulled again");
    }

    @Test
    void aMirrorThatIsNotFreshAsksAsNotFresh() throws Exception {
        assertFalse(replica.fresh());
        assertFalse(replica.beginConfirm().get());
        FreshMarker gone = new FreshMarker(dir.resolve("never-made.fresh"));
        assertFalse(replica(gone).fresh(), "no mark, not fresh");
    }

    @Test
    void aFreshConfirmationMakesTheMapTheMastersRowAndPullsNothing() throws Exception {
        FreshMarker mark = new FreshMarker(dir.resolve("m.fresh"));
        mark.create();
        stale.setAll(); // as a volume created empty starts
        MirrorReplica fresh = replica(mark);
        replica = fresh;
        assertTrue(fresh.fresh());
        assertFalse(fresh.confirmed());
        assertEquals(CLUSTERS, fresh.invalidClusters());

        // A master push lands before the request: that cluster is valid here whatever the answer says.
        fresh.replicaWrite(1 * CLUSTER, bytes(CLUSTER, 7)).get();
        assertTrue(fresh.beginConfirm().get(), "asks as fresh");
        // While the request is out: an invalidation (a write after the master answered) and a push.
        fresh.invalidate(9, 1).get();
        fresh.invalidate(10, 1).get();
        fresh.replicaWrite(10 * CLUSTER, bytes(CLUSTER, 7)).get();
        fresh.replicaWrite(3 * CLUSTER, bytes(CLUSTER, 7)).get();
        BitSet row = new BitSet(); // the written clusters the master marked
        row.set(1);
        row.set(3);
        row.set(5, 7);
        BitSet orphans = fresh.applyMasterRow(row).get();

        assertTrue(orphans.isEmpty(), "nothing to pull: the master pushes what it marked");
        assertTrue(fresh.confirmed());
        assertFalse(fresh.fresh());
        assertFalse(mark.exists(), "the fresh mark is removed once the answer is recorded");
        BitSet expected = new BitSet();
        expected.set(5, 7); // marked by the master, not yet pushed
        expected.set(9); // invalidated after the request
        assertEquals(expected, stale.toBitSet(), "1 and 3 pushed, 10 pushed after its invalidation, the rest zero");
        leased();
        assertArrayEquals(new byte[CLUSTER], read(0, CLUSTER), "an unwritten cluster is served here: zeros");
        assertEquals(0, masterReads.size());
        assertArrayEquals(Arrays.copyOfRange(master, 5 * CLUSTER, 6 * CLUSTER), read(5 * CLUSTER, CLUSTER));
        assertEquals(1, masterReads.size(), "a marked cluster comes from the master");

        // Later confirmations (quiet checks) are not fresh: they or the row in.
        assertFalse(fresh.beginConfirm().get());
        masterRow.set(5, 7);
        masterRow.set(9);
        masterRow.set(12);
        assertTrue(fresh.applyMasterRow(masterRow).get().isEmpty());
        assertEquals(4, stale.cardinality());
        assertTrue(stale.get(12), "or-ed in");
    }

    @Test
    void aFreshMirrorStaysFreshUntilTheAnswerIsRecorded() throws Exception {
        FreshMarker mark = new FreshMarker(dir.resolve("m.fresh"));
        mark.create();
        stale.setAll();
        MirrorReplica first = replica(mark);
        assertTrue(first.beginConfirm().get());
        // The storage system stops before the answer: the next start is fresh again and asks again.
        MirrorReplica second = replica(mark);
        assertTrue(second.fresh());
        assertTrue(second.beginConfirm().get());
        assertTrue(second.applyMasterRow(new BitSet()).get().isEmpty());
        assertEquals(0, stale.cardinality(), "nothing ever written on the master: nothing stale");
        assertFalse(replica(mark).fresh());
    }

    @Test
    void theMasterRowIsOredInNeverCleared() throws Exception {
        replica.applyMasterRow(new BitSet()).get();
        replica.invalidate(7, 1).get();
        masterRow.set(9);
        BitSet orphans = replica.applyMasterRow(masterRow).get();
        assertEquals(2, replica.staleClusters());
        assertEquals(BitSet.valueOf(new long[] {1L << 7}), orphans, "7 is stale here but not in the master's row");
    }
}
