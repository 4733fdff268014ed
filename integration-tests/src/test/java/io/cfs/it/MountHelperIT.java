package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CFS mounts like other file systems: {@code cfs install-helper} links {@code scripts/mount.cfs}
 * as {@code /sbin/mount.fuse.cfs}; then mount(8) itself ({@code mount -t fuse.cfs}, and an fstab
 * line through {@code mount -T FSTAB}) mounts the cluster in the background and returns once the
 * mount answers; {@code umount} unmounts it and the mount process exits; {@code ro} refuses writes
 * with "Read-only file system"; without {@code allow_other} other users are kept out; a bad option
 * fails the mount command with the reason. The links are removed afterwards (an existing
 * {@code /sbin/mount.fuse.cfs} is put back).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MountHelperIT {
    private static final Duration TOOL = Duration.ofMinutes(2);
    private static final Path SBIN = Path.of("/sbin");
    private static final List<String> HELPERS = List.of("mount.fuse.cfs", "mount.cfs");
    private static final Path[] PREVIOUS = new Path[HELPERS.size()];
    /** Mount points under /tmp, so that another user can reach them whatever the checkout's parents allow. */
    private static final Path BASE = Path.of("/tmp/cfs-it-mount-helper-" + ProcessHandle.current().pid());
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        for (int i = 0; i < HELPERS.size(); i++) {
            Path link = SBIN.resolve(HELPERS.get(i));
            PREVIOUS[i] = Files.isSymbolicLink(link) ? Files.readSymbolicLink(link) : null;
        }
        Files.createDirectories(BASE);
        Files.setPosixFilePermissions(BASE, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        cluster = new LocalCluster("mount-helper").up();
        String installed = Shell.ok(TOOL, cluster.dir, LocalCluster.cfs(), "install-helper", "--force");
        assertTrue(installed.contains("/sbin/mount.fuse.cfs -> " + LocalCluster.HOME.resolve("scripts/mount.cfs")),
                installed);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (cluster != null) {
                Shell.ok(TOOL, cluster.dir, LocalCluster.cfs(), "install-helper", "--remove");
            }
            for (int i = 0; i < HELPERS.size(); i++) {
                if (PREVIOUS[i] != null) {
                    Files.createSymbolicLink(SBIN.resolve(HELPERS.get(i)), PREVIOUS[i]);
                }
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            LocalCluster.deleteTree(BASE);
        }
    }

    @Test
    void mountTypeFuseCfsMountsInTheBackgroundAndUmountStopsIt() throws Exception {
        Path mnt = BASE.resolve("mnt-helper");
        Shell.ok(TOOL, cluster.dir, "mount", "-t", "fuse.cfs", cluster.topology().toString(), mnt.toString(),
                "-o", "allow_other,client_id=helper-host,log=" + cluster.dir.resolve("logs/mount-helper.log"));
        try {
            // mount(8) returned: the mount answers already, with the options asked for and no others
            String line = mountLine(mnt).orElseThrow(() -> new AssertionError(mnt + " not in /proc/self/mounts"));
            assertTrue(line.startsWith("cfs " + mnt + " fuse.cfs rw,"), line);
            assertTrue(line.contains("allow_other"), line);
            Path file = mnt.resolve("via-helper.txt");
            Shell.ok(TOOL, cluster.dir, "sh", "-c", "echo 'written through mount.fuse.cfs' > " + file);
            assertEquals("written through mount.fuse.cfs\n",
                    Files.readString(cluster.mountPoint.resolve("via-helper.txt")), "seen by the cluster's own mount");
            assertTrue(cluster.cfsOk("status").contains("helper-host"), "client_id= names the session");
            // allow_other was asked: another user gets in
            assertEquals(0, Shell.run(TOOL, cluster.dir, "setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "--", "cat", file.toString()).exitCode());
        } finally {
            unmount(mnt);
        }
    }

    @Test
    void anFstabLineMounts() throws Exception {
        Path mnt = BASE.resolve("mnt-fstab");
        Path fstab = cluster.dir.resolve("fstab");
        Files.writeString(fstab, cluster.topology() + "  " + mnt + "  fuse.cfs  defaults,_netdev,log="
                + cluster.dir.resolve("logs/mount-fstab.log") + "  0 0\n");
        Shell.ok(TOOL, cluster.dir, "mount", "-T", fstab.toString(), mnt.toString());
        try {
            Files.writeString(mnt.resolve("via-fstab.txt"), "fstab");
            assertEquals("fstab", Files.readString(cluster.mountPoint.resolve("via-fstab.txt")));
            String line = mountLine(mnt).orElseThrow();
            assertFalse(line.contains("allow_other"), "allow_other only when asked: " + line);
            // without allow_other, other users are kept out even of what they may read
            Shell.Result other = Shell.run(TOOL, cluster.dir, "setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "--", "cat", mnt.resolve("via-fstab.txt").toString());
            assertNotEquals(0, other.exitCode(), other.output());
            assertTrue(other.output().contains("Permission denied"), other.output());
        } finally {
            unmount(mnt);
        }
    }

    @Test
    void aReadOnlyMountRefusesWritesWithReadOnlyFileSystem() throws Exception {
        Files.writeString(cluster.mountPoint.resolve("existing.txt"), "kept");
        Path mnt = BASE.resolve("mnt-ro");
        Shell.ok(TOOL, cluster.dir, "mount", "-t", "fuse.cfs", "-o", "ro,log=" + cluster.dir.resolve("logs/mount-ro.log"),
                cluster.topology().toString(), mnt.toString());
        try {
            assertTrue(mountLine(mnt).orElseThrow().contains(" fuse.cfs ro,"), mountLine(mnt).orElseThrow());
            assertEquals("kept", Files.readString(mnt.resolve("existing.txt")));
            for (String command : List.of("echo x > " + mnt.resolve("new.txt"), "echo x >> " + mnt.resolve("existing.txt"),
                    "mkdir " + mnt.resolve("dir"), "rm " + mnt.resolve("existing.txt"),
                    "chmod 600 " + mnt.resolve("existing.txt"))) {
                Shell.Result r = Shell.run(TOOL, cluster.dir, "sh", "-c", command);
                assertNotEquals(0, r.exitCode(), command);
                assertTrue(r.output().contains("Read-only file system"), command + ": " + r.output());
            }
            assertEquals("kept", Files.readString(cluster.mountPoint.resolve("existing.txt")));
            assertFalse(Files.exists(cluster.mountPoint.resolve("new.txt")));
        } finally {
            unmount(mnt);
        }
    }

    @Test
    void aBadOptionOrSourceFailsTheMountCommandWithTheReason() throws Exception {
        Path mnt = BASE.resolve("mnt-bad");
        Shell.Result bad = Shell.run(TOOL, cluster.dir, "mount", "-t", "fuse.cfs", cluster.topology().toString(),
                mnt.toString(), "-o", "alow_other,log=" + cluster.dir.resolve("logs/mount-bad.log"));
        assertNotEquals(0, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("unknown mount option 'alow_other'"), bad.output());
        assertTrue(mountLine(mnt).isEmpty());

        Shell.Result missing = Shell.run(TOOL, cluster.dir, "mount", "-t", "fuse.cfs", "/nonexistent/cluster.conf",
                mnt.toString());
        assertNotEquals(0, missing.exitCode(), missing.output());
        assertTrue(missing.output().contains("topology file '/nonexistent/cluster.conf' does not exist"),
                missing.output());
    }

    /** {@code umount}; then the mount is gone and so is its process (it exits when unmounted). */
    private static void unmount(Path mnt) throws IOException, InterruptedException {
        if (mountLine(mnt).isEmpty()) {
            return;
        }
        Shell.ok(TOOL, cluster.dir, "umount", mnt.toString());
        assertTrue(mountLine(mnt).isEmpty(), mnt + " still mounted after umount");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (mountProcess(mnt).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Optional<ProcessHandle> left = mountProcess(mnt);
        left.ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(left.isEmpty(), "the mount process of " + mnt + " did not exit after umount");
    }

    private static Optional<ProcessHandle> mountProcess(Path mnt) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("fs-mount.jar") && c.endsWith(" " + mnt)).orElse(false)).findFirst();
    }

    private static Optional<String> mountLine(Path mnt) throws IOException {
        String escaped = mnt.toString().replace(" ", "\\040");
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .filter(l -> l.split(" ")[1].equals(escaped)).findFirst();
    }
}
