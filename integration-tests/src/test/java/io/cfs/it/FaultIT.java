package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kill -9 of each kind of daemon in the middle of real work, with real processes and a real
 * mount: acknowledged data survives, mirrors resync to byte-identical copies (scrub agrees), reads
 * fail over, and the mount carries on.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static LocalCluster cluster;
    private static Path sources;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("faults").up();
        sources = cluster.dir.resolve("sources");
        Files.createDirectories(sources);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @ParameterizedTest(name = "pair {0}, mirror {1} on {2}")
    @CsvSource({"p1, 1, ss2, async", "p2, 1, ss3, sync"})
    @Order(1)
    void mirrorKilledDuringALargeWriteResyncsAndScrubsClean(String pair, int member, String storage, String mode)
            throws Exception {
        Path dir = pinned("mirror-kill-" + pair, pair);
        Path src = cluster.sourceFile("big-" + pair + ".bin", 120 << 20);
        Process cp = new ProcessBuilder("cp", src.toString(), dir.resolve("big.bin").toString()).start();
        Thread.sleep(300);
        cluster.kill(storage); // a mirror of the pair, on another storage system than its master
        assertTrue(cp.waitFor(3, TimeUnit.MINUTES), "cp did not finish");
        assertEquals(0, cp.exitValue(), "the write must succeed with a mirror down: "
                + new String(cp.getErrorStream().readAllBytes()));
        Shell.ok(TOOL, cluster.dir, "cmp", src.toString(), dir.resolve("big.bin").toString());

        Pattern down = Pattern.compile("(?m)^" + pair + "\\s+" + mode + "\\s+mirror " + member + "\\s.*DOWN");
        String degraded = cluster.cfsOk("status");
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
             !down.matcher(degraded).find() && System.nanoTime() < deadline; degraded = cluster.cfsOk("status")) {
            Thread.sleep(500); // the metadata server marks it down when its heartbeats stop
        }
        assertTrue(down.matcher(degraded).find(), "status should show the mirror on " + storage + " down:\n" + degraded);
        cluster.start(storage);
        cluster.cfsOk("status", "--wait-synced", "--timeout", "180");
        Shell.Result scrub = cluster.cfs("scrub");
        assertEquals(0, scrub.exitCode(), scrub.output());
        Shell.ok(TOOL, cluster.dir, "cmp", src.toString(), dir.resolve("big.bin").toString());
    }

    @Test
    @Order(2)
    void masterKilledDuringAsyncWritesKeepsEveryFsyncedByte() throws Exception {
        Path dir = pinned("master-kill", "p3"); // async, master and mirror on ss3
        Path done = cluster.sourceFile("done.bin", 20 << 20);
        Shell.ok(TOOL, cluster.dir, "dd", "if=" + done, "of=" + dir.resolve("done.bin"), "bs=1M", "conv=fsync", "status=none");
        Path more = cluster.sourceFile("more.bin", 200 << 20);
        Process writer = new ProcessBuilder("dd", "if=" + more, "of=" + dir.resolve("more.bin"), "bs=1M",
                "oflag=sync", "status=none").start();
        Thread.sleep(500);
        cluster.kill("ss3");
        assertTrue(writer.waitFor(2, TimeUnit.MINUTES), "a write to a dead master must fail, not hang");
        assertTrue(writer.exitValue() != 0, "writes to a pair whose master is down fail with EIO");
        cluster.start("ss3");
        cluster.cfsOk("status", "--wait-synced", "--timeout", "180");
        Shell.ok(TOOL, cluster.dir, "cmp", done.toString(), dir.resolve("done.bin").toString());
        Shell.Result scrub = cluster.cfs("scrub");
        assertEquals(0, scrub.exitCode(), scrub.output());
    }

    @Test
    @Order(3)
    void readerKeepsReadingWhenItsMembersDaemonIsKilled() throws Exception {
        Path dir = pinned("failover", "p2"); // sync: master on ss2, mirrors on ss3 and on ss2
        Path src = cluster.sourceFile("movie.bin", 150 << 20);
        Shell.ok(TOOL, cluster.dir, "cp", src.toString(), dir.resolve("movie.bin").toString());
        Shell.ok(TOOL, cluster.dir, "sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches");
        // the first open takes the master; the reader's open is then assigned mirror 1, on ss3
        Process holder = new ProcessBuilder("bash", "-c", "exec 3<" + dir.resolve("movie.bin") + "; sleep 120").start();
        try {
            Thread.sleep(500);
            java.security.MessageDigest read = java.security.MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(dir.resolve("movie.bin"))) {
                byte[] buf = new byte[1 << 20];
                long total = 0;
                boolean killed = false;
                for (int n; (n = in.read(buf)) > 0; ) {
                    read.update(buf, 0, n);
                    total += n;
                    if (!killed && total > (40 << 20)) {
                        cluster.kill("ss3"); // the reader's member dies in the middle of the file
                        killed = true;
                    }
                }
                assertTrue(killed, "the file was read before the kill");
            }
            java.security.MessageDigest expected = java.security.MessageDigest.getInstance("SHA-256");
            expected.update(Files.readAllBytes(src));
            assertEquals(java.util.HexFormat.of().formatHex(expected.digest()),
                    java.util.HexFormat.of().formatHex(read.digest()), "bytes read across the failover");
        } finally {
            holder.destroy();
            cluster.start("ss3");
        }
    }

    @Test
    @Order(4)
    void metadataServerKilledUnderLoadComesBackWithEveryClosedFile() throws Exception {
        Path dir = cluster.mountPoint.resolve("meta-kill");
        Files.createDirectories(dir);
        // cp reports a failed close(2), where the data of a file is committed (a shell redirect would not)
        Path template = sources.resolve("one-line");
        Process load = new ProcessBuilder("bash", "-c", "i=0; while [ $i -lt 400 ]; do echo file $i > " + template
                + " && cp " + template + " " + dir + "/f$i && i=$((i+1)) || sleep 0.1; done")
                .redirectErrorStream(true).start();
        Thread.sleep(1500);
        cluster.kill("meta");
        Thread.sleep(1000);
        cluster.start("meta");
        assertTrue(load.waitFor(4, TimeUnit.MINUTES), "the load did not finish after the restart");
        for (int i = 0; i < 400; i++) {
            Path f = dir.resolve("f" + i);
            assertEquals(List.of("file " + i), Files.readAllLines(f), f + " after the restart");
        }
        Path after = dir.resolve("after-restart.txt");
        Files.writeString(after, "still mounted\n");
        assertEquals("still mounted\n", Files.readString(after));
    }

    /**
     * Its mirrors on other storage systems serve reads under a lease from the master's storage
     * system; a master killed cannot renew it, but its address refuses connections, which proves no
     * write can be acknowledged: the mirrors keep serving well beyond the lease (3 s).
     */
    @Test
    @Order(5)
    void masterKilledItsMirrorsOnOtherStorageSystemsKeepServingReads() throws Exception {
        Path dir = pinned("master-kill-reads", "p1"); // async: master ss1, mirrors on ss2 and ss3
        Path src = cluster.sourceFile("clip.bin", 16 << 20);
        Shell.ok(TOOL, cluster.dir, "cp", src.toString(), dir.resolve("clip.bin").toString());
        cluster.cfsOk("status", "--wait-synced", "--timeout", "180");
        cluster.kill("ss1");
        try {
            long killed = System.nanoTime();
            int reads = 0;
            while (System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(12)) { // 4 mirror leases
                // so that cmp reads through FUSE from the members, not from this host's page cache
                Shell.ok(TOOL, cluster.dir, "sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches");
                Shell.ok(TOOL, cluster.dir, "cmp", src.toString(), dir.resolve("clip.bin").toString());
                reads++;
            }
            System.out.println("FaultIT: " + reads + " reads of a pair whose master was killed, over 12 s");
        } finally {
            cluster.start("ss1");
        }
        cluster.cfsOk("status", "--wait-synced", "--timeout", "180");
        Shell.Result scrub = cluster.cfs("scrub");
        assertEquals(0, scrub.exitCode(), scrub.output());
    }

    private static Path pinned(String name, String pair) throws Exception {
        Path dir = cluster.mountPoint.resolve(name);
        Files.createDirectories(dir);
        cluster.cfsOk("set-pair", dir.toString(), pair);
        return dir;
    }

}
