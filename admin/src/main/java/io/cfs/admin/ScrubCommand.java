package io.cfs.admin;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.ChecksumReply;
import io.cfs.protocol.message.ChecksumRequest;
import io.cfs.protocol.message.CountInvalidRequest;
import io.cfs.protocol.message.CountReply;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.LocateReply;
import io.cfs.protocol.message.LocateRequest;
import io.cfs.protocol.message.MarkInvalidRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDirReply;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.VolumeAddress;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cfs scrub}: compares every mirror with its master, cluster by cluster, over the clusters
 * that hold file data. A cluster the master has not yet copied (invalid in the Bitmap Table) is
 * pending, not a mismatch. With {@code --repair} mismatched clusters are marked invalid so the
 * Sync Daemon copies them from the master again.
 */
@Command(name = "scrub", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = AdminMain.Version.class,
        description = {"Compare master and mirror checksums cluster by cluster (over the clusters holding file data) "
                + "and report mismatches, showing the progress; --repair has the Sync Daemon copy them from the master "
                + "again.",
                "Exit codes: 0 every mirror matches its master, 1 a mismatch (repaired or not) or a storage system "
                + "could not be read, 2 bad usage."})
final class ScrubCommand implements Callable<Integer> {
    private static final int CHUNK = 4096;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--repair", description = "mark mismatched clusters invalid so the Sync Daemon re-copies them")
    boolean repair;

    /** Clusters compared of all mirrors' clusters in use. */
    private Progress progress;

    @Override
    public Integer call() throws Exception {
        try (ClusterOptions.Cluster c = cluster.connect()) {
            Map<PairId, BitSet> used = clustersInUse(c);
            long total = 0;
            for (PairSpec pair : c.topology.sortedPairs()) {
                total += (long) used.getOrDefault(pair.id(), new BitSet()).cardinality() * pair.mirrors().size();
            }
            long clusterSize = c.topology.clusterSize();
            progress = Progress.onStdout("scrub", n -> Units.bytes(n * clusterSize));
            progress.update(0, total);
            boolean clean = true;
            for (PairSpec pair : c.topology.sortedPairs()) {
                BitSet clusters = used.getOrDefault(pair.id(), new BitSet());
                for (int m = 1; m <= pair.mirrors().size(); m++) {
                    clean &= scrub(c, pair, m, clusters);
                }
            }
            progress.finish();
            System.out.println(clean ? "scrub: every mirror matches its master" : "scrub: mismatches found");
            return clean ? 0 : 1;
        } catch (CfsException e) {
            System.err.println("cfs scrub: " + e.getMessage());
            return 1;
        }
    }

    /** Compares one mirror with its master; prints one line; true when they match. */
    private boolean scrub(ClusterOptions.Cluster c, PairSpec pair, int member, BitSet clusters) {
        VolumeAddress master = pair.master();
        VolumeAddress mirror = pair.member(member);
        int clusterSize = c.topology.clusterSize();
        long compared = 0;
        long pending = 0;
        long mismatched = 0;
        try {
            for (int start = clusters.nextSetBit(0); start >= 0; start = clusters.nextSetBit(start)) {
                int end = Math.min(clusters.nextClearBit(start), start + CHUNK);
                int count = end - start;
                List<Long> a = c.storage(master.storage()).call(new ChecksumRequest(master.volume(), start, count),
                        ChecksumReply.class).checksums();
                List<Long> b = c.storage(mirror.storage()).call(new ChecksumRequest(mirror.volume(), start, count),
                        ChecksumReply.class).checksums();
                for (int i = 0; i < count; i++) {
                    compared++;
                    if (a.get(i).equals(b.get(i))) {
                        continue;
                    }
                    long cluster = start + i;
                    long invalid = c.storage(master.storage()).call(new CountInvalidRequest(pair.id(), member,
                            cluster * clusterSize, clusterSize), CountReply.class).count();
                    if (invalid > 0) {
                        pending++;
                    } else {
                        mismatched++;
                        progress.println("  mismatch: pair " + pair.id() + " mirror " + member + " (" + mirror
                                + ") cluster " + cluster + " (volume offset " + cluster * clusterSize + ")");
                        if (repair) {
                            c.storage(master.storage()).call(new MarkInvalidRequest(pair.id(), member, cluster, 1),
                                    OkReply.class);
                        }
                    }
                }
                progress.advance(count);
                start = end;
            }
        } catch (CfsException e) {
            progress.advance(clusters.cardinality() - compared);
            progress.println("pair " + pair.id() + " mirror " + member + " (" + mirror + "): cannot read: "
                    + e.getMessage());
            return false;
        }
        progress.println("pair " + pair.id() + " mirror " + member + " (" + mirror + "): " + compared
                + " clusters compared, " + mismatched + " mismatched" + (repair && mismatched > 0 ? " (repairing)" : "")
                + ", " + pending + " pending resync");
        return mismatched == 0;
    }

    /** The clusters of each pair's master volume that hold file data, from a walk of the namespace. */
    private static Map<PairId, BitSet> clustersInUse(ClusterOptions.Cluster c) {
        Map<PairId, BitSet> used = new TreeMap<>((x, y) -> x.value().compareTo(y.value()));
        long clusterSize = c.topology.clusterSize();
        Deque<Long> dirs = new ArrayDeque<>(List.of(1L));
        while (!dirs.isEmpty()) {
            long dir = dirs.pop();
            String after = "";
            while (true) {
                ReadDirReply page = c.meta.call(new ReadDirRequest(dir, after, 1024), ReadDirReply.class);
                for (DirEntry e : page.entries()) {
                    if (e.type() == FileType.DIRECTORY) {
                        dirs.push(e.inode());
                    } else if (e.type() == FileType.REGULAR) {
                        for (Extent x : c.meta.call(new LocateRequest(e.inode()), LocateReply.class).extents()) {
                            used.computeIfAbsent(x.pair(), k -> new BitSet()).set(
                                    (int) (x.volumeOffset() / clusterSize),
                                    (int) ((x.volumeOffset() + x.length() + clusterSize - 1) / clusterSize));
                        }
                    }
                }
                if (!page.more() || page.entries().isEmpty()) {
                    break;
                }
                after = page.entries().get(page.entries().size() - 1).name();
            }
        }
        return used;
    }
}
