package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeAddress;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The walking skeleton, end to end: a cluster of real processes mounted through FUSE; files
 * copied in with cp and compared back with cmp; their bytes found on the master volume and every
 * mirror of their pair; a second mount (another host) reading the same files.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MirroredClusterIT {
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(3);
    private static LocalCluster cluster;
    private static Path sources;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("mirrored").up();
        sources = cluster.dir.resolve("sources");
        Files.createDirectories(sources);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
            assertFalse(Files.readString(Path.of("/proc/self/mounts")).contains(cluster.mountPoint.toString()),
                    "down left the mount in place");
        }
    }

    @Test
    void filesCopiedInLandOnMastersAndMirrorsAndReadBackFromAnotherMount() throws Exception {
        // Three files: placement puts each new file on the pair with the most free space, so
        // together they cover the async, sync and same-storage-system pairs.
        Map<String, Long> sizes = Map.of("movie.bin", 200L << 20, "trailer.bin", 24L << 20 | 12345, "clip.bin", 3L << 20);
        for (String name : List.of("movie.bin", "trailer.bin", "clip.bin")) {
            Path src = cluster.sourceFile(name, sizes.get(name));
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cp", src.toString(), cluster.mountPoint.resolve(name).toString());
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", src.toString(), cluster.mountPoint.resolve(name).toString());
            assertEquals(sizes.get(name), Files.size(cluster.mountPoint.resolve(name)), name + " size through the mount");
        }

        Topology topology = Topology.load(cluster.topology());
        ClusterCredentials credentials = ClusterCredentials.load(topology);
        EventLoopGroup group = Transport.newEventLoopGroup("it", 1);
        try (RpcClient meta = new RpcClient("it->meta", topology.metadata().address(), group, credentials,
                Duration.ofSeconds(30))) {
            awaitMirrorsInSync(topology, credentials, group);
            Set<PairId> pairsUsed = new HashSet<>();
            for (String name : sizes.keySet()) {
                long inode = meta.call(new LookupRequest(1, name), AttrReply.class).attr().inode();
                OpenReply open = meta.call(new OpenRequest(inode, false), OpenReply.class);
                meta.call(new CloseRequest(open.handle()), OkReply.class);
                pairsUsed.add(open.pair());
                assertBytesOnEveryMember(topology, sources.resolve(name), open.extents());
            }
            assertEquals(topology.pairs().keySet(), pairsUsed, "the three files should cover every pair");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }

        // A second host: another mount process on another mountpoint sees and reads the same files.
        Path second = cluster.dir.resolve("mnt2");
        Files.createDirectories(second);
        Process mount2 = new ProcessBuilder(LocalCluster.cfs(), "mount", "--config", cluster.topology().toString(),
                "--id", "host2", second.toString())
                .redirectErrorStream(true).redirectOutput(cluster.dir.resolve("logs/mount2.log").toFile()).start();
        try {
            awaitMounted(second, mount2);
            for (String name : sizes.keySet()) {
                Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", sources.resolve(name).toString(), second.resolve(name).toString());
            }
            String listing = Shell.ok(TOOL_TIMEOUT, cluster.dir, "ls", second.toString());
            assertTrue(listing.contains("movie.bin") && listing.contains("clip.bin"), "second mount lists: " + listing);
        } finally {
            mount2.destroy(); // SIGTERM: unmounts cleanly
            assertTrue(mount2.waitFor(30, TimeUnit.SECONDS), "second mount did not stop on SIGTERM");
            assertFalse(mountedAt(second), "SIGTERM left the second mount in place");
        }
    }

    @Test
    void aMountKilledWithSigkillLeavesADeadMountThatTheNextMountClears() throws Exception {
        Path src = cluster.sourceFile("crash.bin", 5 << 20);
        Shell.ok(TOOL_TIMEOUT, cluster.dir, "cp", src.toString(), cluster.mountPoint.resolve("crash.bin").toString());
        Path point = cluster.dir.resolve("mnt-crash");
        Files.createDirectories(point);
        Process first = startMount(point, "crash-1");
        awaitMounted(point, first);
        first.destroyForcibly(); // kill -9: the kernel keeps a dead mount behind
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        Shell.Result dead = Shell.run(TOOL_TIMEOUT, cluster.dir, "stat", point.toString());
        assertTrue(dead.exitCode() != 0 && dead.output().contains("Transport endpoint is not connected"),
                "a dead mount is expected after kill -9: " + dead.output());

        Process second = startMount(point, "crash-2");
        try {
            awaitMounted(point, second);
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", src.toString(), point.resolve("crash.bin").toString());
        } finally {
            second.destroy();
            assertTrue(second.waitFor(30, TimeUnit.SECONDS), "mount did not stop on SIGTERM");
        }
        assertFalse(mountedAt(point), "SIGTERM left the mount in place");
    }

    /**
     * Close-to-open with the caches on: a host that has looked at a file (so its kernel holds the
     * name and its client the old attributes, here for 30 s) opens it after another host's close
     * and reads every new byte, whether the file grew or shrank.
     */
    @Test
    void anOpenAfterAnotherHostsCloseReadsTheNewBytesThoughThisHostCachedTheOldAttributes() throws Exception {
        Path v1 = cluster.sourceFile("cto-v1.bin", 100_000);
        Path v2 = cluster.sourceFile("cto-v2.bin", 3_000_000);
        Path v3 = cluster.sourceFile("cto-v3.bin", 50_000);
        Path onFirst = cluster.mountPoint.resolve("cto.bin");
        Shell.ok(TOOL_TIMEOUT, cluster.dir, "cp", v1.toString(), onFirst.toString());
        Path point = cluster.dir.resolve("mnt-cto");
        Files.createDirectories(point);
        Process other = startMount(point, "cto", "--attr-cache", "30", "-o", "entry_timeout=30");
        try {
            awaitMounted(point, other);
            Path onOther = point.resolve("cto.bin");
            // the other host reads the file: it now caches the attributes, and its kernel the name and pages
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", v1.toString(), onOther.toString());
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cp", v2.toString(), onFirst.toString()); // grown, closed
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", v2.toString(), onOther.toString());
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cp", v3.toString(), onFirst.toString()); // shrunk, closed
            Shell.ok(TOOL_TIMEOUT, cluster.dir, "cmp", v3.toString(), onOther.toString());
        } finally {
            other.destroy();
            assertTrue(other.waitFor(30, TimeUnit.SECONDS), "mount did not stop on SIGTERM");
        }
    }

    private static Process startMount(Path point, String id, String... options) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(LocalCluster.cfs(), "mount", "--config",
                cluster.topology().toString(), "--id", id));
        command.addAll(List.of(options));
        command.add(point.toString());
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.dir.resolve("logs/" + id + ".log").toFile()))
                .start();
    }

    /** Every extent's bytes equal the source file's, on the master volume file and on each mirror's. */
    private static void assertBytesOnEveryMember(Topology topology, Path source, List<Extent> extents) throws IOException {
        long covered = 0;
        try (RandomAccessFile src = new RandomAccessFile(source.toFile(), "r")) {
            for (Extent e : extents) {
                long length = Math.min(e.length(), src.length() - e.fileOffset());
                if (length <= 0) {
                    continue;
                }
                byte[] expected = read(src, e.fileOffset(), (int) length);
                PairSpec pair = topology.pair(e.pair());
                for (VolumeAddress member : pair.members()) {
                    try (RandomAccessFile vol = new RandomAccessFile(
                            cluster.volumeFile(member.storage().value(), member.volume().value()).toFile(), "r")) {
                        assertArrayEquals(expected, read(vol, e.volumeOffset(), (int) length),
                                source.getFileName() + " bytes " + e.fileOffset() + "+" + length + " on " + member
                                        + " (pair " + pair.id() + ", " + pair.mode() + ")");
                    }
                }
                covered += length;
            }
        }
        assertEquals(Files.size(source), covered, source.getFileName() + ": extents should cover the whole file");
    }

    /** Waits until no master volume has clusters its mirrors still lack (the Sync Daemon caught up). */
    private static void awaitMirrorsInSync(Topology topology, ClusterCredentials credentials, EventLoopGroup group)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Map<String, Long> invalid = new HashMap<>();
        while (true) {
            invalid.clear();
            for (PairSpec pair : topology.pairs().values()) {
                try (RpcClient ss = new RpcClient("it->" + pair.master().storage(),
                        topology.storage(pair.master().storage()).address(), group, credentials,
                        Duration.ofSeconds(10))) {
                    long n = ss.call(new VolumeInfoRequest(pair.master().volume()), VolumeInfoReply.class).invalidClusters();
                    if (n != 0) {
                        invalid.put(pair.id().value(), n);
                    }
                }
            }
            if (invalid.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("mirrors still have invalid clusters after 120 s: " + invalid);
            }
            Thread.sleep(200);
        }
    }

    private static byte[] read(RandomAccessFile file, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        file.seek(offset);
        file.readFully(b);
        return b;
    }


    private static void awaitMounted(Path mountPoint, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!mountedAt(mountPoint) || !Files.isDirectory(mountPoint)) { // listed and answering (not dead)
            if (!process.isAlive()) {
                throw new AssertionError("mount at " + mountPoint + " exited with " + process.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("mount at " + mountPoint + " did not come up within 60 s");
            }
            Thread.sleep(100);
        }
    }

    private static boolean mountedAt(Path mountPoint) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .anyMatch(l -> l.split(" ")[1].equals(mountPoint.toString()));
    }
}
