package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every daemon and the mount of a real cluster serve Prometheus text at the topology's metrics=
 * addresses, and the counters that matter move: a file copied in with cp and read back with cmp
 * shows up as bytes written on its master's storage system, WRITE_DATA requests there, FUSE
 * reads on the mount, and an open in the metadata server's Usage Table while it is open.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class MetricsIT {
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static final long SIZE = 24L << 20;
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("metrics").up();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void countersMoveWhenAFileIsCopiedInAndReadBack() throws Exception {
        Path source = cluster.sourceFile("video.bin", SIZE);
        Path dir = Files.createDirectories(cluster.mountPoint.resolve("p1"));
        cluster.cfsOk("set-pair", dir.toString(), "p1"); // master ss1:v1, mirrors on ss2 and ss3
        Path copy = dir.resolve("video.bin");
        Shell.ok(TOOL, cluster.dir, "cp", source.toString(), copy.toString());
        Shell.ok(TOOL, cluster.dir, "sync");
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3"); // so that cmp reads through FUSE
        Shell.ok(TOOL, cluster.dir, "cmp", source.toString(), copy.toString());

        String ss1 = cluster.scrape("ss1");
        assertTrue(value(ss1, "cfs_volume_written_bytes_total", "volume=\"v1\"") >= SIZE,
                "bytes written to the master volume ss1:v1:\n" + grep(ss1, "cfs_volume_written"));
        assertTrue(value(ss1, "cfs_rpc_server_received_bytes_total", "op=\"WRITE_DATA\"") >= SIZE,
                grep(ss1, "cfs_rpc_server_received_bytes_total"));
        assertTrue(value(ss1, "cfs_rpc_server_requests_seconds_count", "op=\"WRITE_DATA\",result=\"ok\"") > 0,
                grep(ss1, "cfs_rpc_server_requests_seconds_count"));
        assertTrue(ss1.contains("cfs_rpc_server_requests_seconds_bucket{"), "latency histograms");
        assertTrue(ss1.contains("daemon=\"block-store\",id=\"ss1\""), "the common tags");
        assertTrue(ss1.contains("cfs_mirror_invalid_clusters{"), "per-mirror invalid clusters");
        assertTrue(ss1.contains("cfs_cache_hits_total{"), "the cache memory");
        assertTrue(ss1.contains("jvm_memory_used_bytes{"), "JVM meters");

        String mount = cluster.scrape("mount");
        assertTrue(value(mount, "cfs_fuse_requests_seconds_count", "op=\"read\"") > 0, grep(mount, "cfs_fuse_"));
        assertTrue(value(mount, "cfs_fuse_bytes_total", "op=\"read\"") >= SIZE, grep(mount, "cfs_fuse_bytes"));
        assertTrue(value(mount, "cfs_fuse_bytes_total", "op=\"write\"") >= SIZE, grep(mount, "cfs_fuse_bytes"));
        assertTrue(value(mount, "cfs_client_readahead_hits_total", "") > 0, grep(mount, "cfs_client_"));
        assertTrue(mount.contains("daemon=\"mount\",id=\"local\""), "the mount's client id");

        String meta = cluster.scrape("meta");
        assertTrue(value(meta, "cfs_sessions", "") >= 1, "the mount's session:\n" + grep(meta, "cfs_sessions"));
        assertEquals(3.0, value(meta, "cfs_storage_up", ""), "all three storage systems up (summed)");
        assertTrue(value(meta, "cfs_journal_records_total", "") > 0, grep(meta, "cfs_journal"));
        assertTrue(value(meta, "cfs_rpc_server_requests_seconds_count", "op=\"OPEN\",result=\"ok\"") > 0);
        // the kernel sends FUSE's release after close(2) returns: the count drops soon after
        awaitUsage(0.0, "nothing open once cmp's release arrived");
        try (var held = Files.newInputStream(copy)) {
            awaitUsage(1.0, "an open file counts in the Usage Table of its pair");
        }
        awaitUsage(0.0, "and is given back by its close");
        for (String ss : new String[] {"ss2", "ss3"}) {
            assertTrue(cluster.scrape(ss).contains("id=\"" + ss + "\""), ss + " serves its metrics");
        }
        // ss2 holds a mirror of p1, whose master is on ss1: it serves reads under a lease from ss1
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String ss2;
        while (value(ss2 = cluster.scrape("ss2"), "cfs_replica_leased", "master=\"ss1:v1\"") != 1.0
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(1.0, value(ss2, "cfs_replica_leased", "master=\"ss1:v1\""), grep(ss2, "cfs_replica_"));
    }

    private static void awaitUsage(double expected, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double opens;
        while ((opens = value(cluster.scrape("meta"), "cfs_usage_opens", "pair=\"p1\"")) != expected
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(expected, opens, what);
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)$",
            Pattern.MULTILINE);

    /** The sum of the samples of {@code name} whose labels contain {@code labels}; fails when there is none. */
    static double value(String text, String name, String labels) {
        OptionalDouble sum = OptionalDouble.empty();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name) && (m.group(2) == null ? "" : m.group(2)).contains(labels)) {
                sum = OptionalDouble.of(sum.orElse(0) + Double.parseDouble(m.group(3)));
            }
        }
        if (sum.isEmpty()) {
            throw new AssertionError("no sample " + name + "{" + labels + "} in:\n" + grep(text, name));
        }
        return sum.getAsDouble();
    }

    static String grep(String text, String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }
}
