package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What scripts and operators do on a mounted cluster: the POSIX operations of a shell script give
 * the same results as on a local folder; {@code cfs status}, {@code set-pair}, {@code locate} and
 * {@code scrub} tell the truth; opens of one file are spread over its pair's members.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class NamespaceAndAdminIT {
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("namespace").up();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shellOperationsGiveTheSameResultsAsOnALocalFolder() throws Exception {
        Path script = Path.of(NamespaceAndAdminIT.class.getResource("/workloads/posix.sh").toURI());
        Path local = cluster.dir.resolve("local-posix");
        Path mounted = cluster.mountPoint.resolve("posix");
        Files.createDirectories(local);
        Files.createDirectories(mounted);
        String expected = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), local.toString());
        String actual = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), mounted.toString());
        assertEquals(expected, actual, "the same script on a local folder and on CFS");
    }

    @Test
    void permissionsForAnUnprivilegedUserAreEnforcedAsOnALocalFolder() throws Exception {
        // under /tmp so that 'nobody' can reach both folders whatever the checkout's parents allow
        Path base = Files.createDirectories(Path.of("/tmp/cfs-it-perm-" + ProcessHandle.current().pid()));
        Path local = Files.createDirectories(base.resolve("local"));
        Path mountPoint = Files.createDirectories(base.resolve("mnt"));
        Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Process mount = new ProcessBuilder(LocalCluster.cfs(), "mount", "--config", cluster.topology().toString(),
                "--id", "shared-host", "-o", "allow_other", mountPoint.toString())
                .redirectErrorStream(true).redirectOutput(cluster.dir.resolve("logs/mount-allow-other.log").toFile())
                .start();
        try {
            awaitMounted(mountPoint, mount);
            Path mounted = Files.createDirectories(mountPoint.resolve("perm"));
            Path script = Path.of(NamespaceAndAdminIT.class.getResource("/workloads/permissions.sh").toURI());
            String expected = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), local.toString());
            assertTrue(expected.contains("as_nobody cat pub/o -> 0 (open)"), "nobody must reach the folders:\n" + expected);
            String actual = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), mounted.toString());
            assertEquals(expected, actual, "permission checks as nobody, local folder vs CFS");
        } finally {
            unmount(mount, mountPoint, base);
        }
    }

    @Test
    void onAMountOnlyItsUserReachesCfsChecksPermissionsAsALocalFolderWould() throws Exception {
        // nobody mounts the cluster itself (through the setuid fusermount) without allow_other:
        // the kernel leaves the permission checks to CFS, which the script meets on nobody's own files
        String[] asNobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
        Path base = Files.createDirectories(Path.of("/tmp/cfs-it-own-" + ProcessHandle.current().pid()));
        Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = Files.createDirectories(base.resolve("nobody"));
        Path config = Files.copy(cluster.topology(), home.resolve("cluster.conf"));
        Files.copy(cluster.dir.resolve("cluster.secret"), home.resolve("cluster.secret"));
        Path local = Files.createDirectories(home.resolve("local"));
        Path mountPoint = Files.createDirectories(home.resolve("mnt"));
        // the mount runs from a copy of the cfs script and the mount's jars, and the workload from a copy
        // of it: nobody may not reach the checkout
        Path script = Files.copy(Path.of(NamespaceAndAdminIT.class.getResource("/workloads/permissions-own.sh").toURI()),
                home.resolve("permissions-own.sh"));
        Path install = Files.createDirectories(home.resolve("cfs/fs-mount/target"));
        Shell.ok(TOOL, cluster.dir, "cp", "-r", LocalCluster.HOME.resolve("scripts").toString(),
                home.resolve("cfs").toString());
        Shell.ok(TOOL, cluster.dir, "cp", "-r", LocalCluster.HOME.resolve("fs-mount/target/fs-mount.jar").toString(),
                LocalCluster.HOME.resolve("fs-mount/target/lib").toString(), install.toString());
        Shell.ok(TOOL, cluster.dir, "chown", "-R", "65534:65534", home.toString());
        Files.createDirectories(cluster.mountPoint.resolve("own"));
        Shell.ok(TOOL, cluster.dir, "chown", "65534:65534", cluster.mountPoint.resolve("own").toString());
        List<String> mountCommand = new ArrayList<>(List.of(asNobody));
        mountCommand.addAll(List.of(home.resolve("cfs/scripts/cfs").toString(), "mount", "--config", config.toString(),
                "--id", "nobodys-host", mountPoint.toString()));
        // libfuse 2 opens /dev/fuse itself before it turns to fusermount: a stock distribution has it
        // 0666, this kind of machine 0600 (its mode is put back after)
        Path fuseDevice = Path.of("/dev/fuse");
        var deviceMode = Files.getPosixFilePermissions(fuseDevice);
        Files.setPosixFilePermissions(fuseDevice, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Process mount = new ProcessBuilder(mountCommand).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(cluster.dir.resolve("logs/mount-nobody.log").toFile()).start();
        try {
            try {
                awaitMounted(mountPoint, mount);
            } finally {
                Files.setPosixFilePermissions(fuseDevice, deviceMode);
            }
            List<String> run = new ArrayList<>(List.of(asNobody));
            run.addAll(List.of("bash", script.toString()));
            run.add(local.toString());
            String expected = Shell.ok(TOOL, home, run.toArray(String[]::new));
            assertTrue(expected.contains("cat d/f -> 1 (Permission denied)"), "mode 000 refuses its owner:\n" + expected);
            run.set(run.size() - 1, mountPoint.resolve("own").toString());
            String actual = Shell.ok(TOOL, home, run.toArray(String[]::new));
            assertEquals(expected, actual, "permission checks on nobody's own files, local folder vs CFS");
        } finally {
            unmount(mount, mountPoint, base);
        }
    }

    /** Stops a mount process (SIGTERM unmounts) and removes {@code base} once nothing is mounted in it. */
    private static void unmount(Process mount, Path mountPoint, Path base) throws Exception {
        mount.destroy();
        mount.waitFor(30, TimeUnit.SECONDS);
        for (int i = 0; i < 100 && Files.readString(Path.of("/proc/self/mounts")).contains(mountPoint.toString()); i++) {
            Thread.sleep(100);
        }
        if (!Files.readString(Path.of("/proc/self/mounts")).contains(mountPoint.toString())) {
            LocalCluster.deleteTree(base);
        }
    }

    private static void awaitMounted(Path mountPoint, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .noneMatch(l -> l.split(" ")[1].equals(mountPoint.toString()))) {
            assertTrue(process.isAlive(), "mount exited with " + (process.isAlive() ? "" : process.exitValue()));
            assertTrue(System.nanoTime() < deadline, "mount did not appear within 60 s");
            Thread.sleep(100);
        }
    }

    @Test
    void statusShowsStorageSystemsPairsAndTheMountsSession() throws Exception {
        String status = cluster.cfsOk("status");
        for (String ss : List.of("ss1", "ss2", "ss3")) {
            assertTrue(Pattern.compile("(?m)^" + ss + "\\s+up\\s").matcher(status).find(), ss + " up in:\n" + status);
        }
        for (String pair : List.of("p1", "p2", "p3")) {
            assertTrue(status.contains(pair), pair + " in:\n" + status);
        }
        assertTrue(status.contains("SESSION"), "the mount's session in:\n" + status);
        String json = cluster.cfsOk("status", "--json");
        assertTrue(json.contains("\"storages\"") && json.contains("\"opens\""), json);
    }

    @Test
    void setPairPlacesNewFilesAndLocateShowsThem() throws Exception {
        Path hot = cluster.mountPoint.resolve("hot");
        Files.createDirectories(hot);
        cluster.cfsOk("set-pair", hot.toString(), "p2");
        Files.write(hot.resolve("title.bin"), new byte[3 << 20]);
        String where = cluster.cfsOk("locate", "--json", hot.resolve("title.bin").toString());
        assertTrue(where.replace(" ", "").contains("\"pair\":\"p2\""), where);
        String dir = cluster.cfsOk("locate", hot.toString());
        assertTrue(dir.contains("pair p2"), dir);
    }

    @Test
    void scrubFindsACorruptMirrorAndRepairsIt() throws Exception {
        Path dir = cluster.mountPoint.resolve("scrubbed");
        Files.createDirectories(dir);
        cluster.cfsOk("set-pair", dir.toString(), "p3");
        byte[] data = new byte[2 << 20];
        new java.util.Random(3).nextBytes(data);
        Files.write(dir.resolve("f.bin"), data);
        cluster.cfsOk("status", "--wait-synced", "--timeout", "120");
        assertEquals(0, cluster.cfs("scrub").exitCode(), "clean cluster");

        // flip bytes of the file's first cluster on p3's mirror (ss3:v4) behind the daemons' backs
        long volumeOffset = firstVolumeOffset(cluster.cfsOk("locate", "--json", dir.resolve("f.bin").toString()));
        try (RandomAccessFile mirror = new RandomAccessFile(cluster.volumeFile("ss3", "v4").toFile(), "rw")) {
            mirror.seek(volumeOffset + 100);
            mirror.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        }
        Shell.Result found = cluster.cfs("scrub");
        assertEquals(1, found.exitCode(), found.output());
        assertTrue(found.output().contains("mismatch"), found.output());
        assertEquals(1, cluster.cfs("scrub", "--repair").exitCode());
        cluster.cfsOk("status", "--wait-synced", "--timeout", "120");
        Shell.Result clean = cluster.cfs("scrub");
        assertEquals(0, clean.exitCode(), "after repair:\n" + clean.output());
        assertEquals(List.of(), diff(data, Files.readAllBytes(dir.resolve("f.bin"))), "file through the mount");
    }

    @Test
    void opensOfOneFileAreSpreadOverThePairsMembers() throws Exception {
        Path dir = cluster.mountPoint.resolve("popular");
        Files.createDirectories(dir);
        cluster.cfsOk("set-pair", dir.toString(), "p1"); // a master and two mirrors
        Files.write(dir.resolve("video.bin"), new byte[1 << 20]);
        List<Process> viewers = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) { // six viewers hold the file open
                viewers.add(new ProcessBuilder("bash", "-c", "exec 3<" + dir.resolve("video.bin") + "; sleep 60")
                        .start());
            }
            String status = awaitOpens(6);
            Matcher m = Pattern.compile("(?m)^p1\\s+async\\s+(master|mirror \\d)\\s+\\S+\\s+up\\s+(\\d+)").matcher(status);
            List<Integer> opens = new ArrayList<>();
            while (m.find()) {
                opens.add(Integer.parseInt(m.group(2)));
            }
            assertEquals(List.of(2, 2, 2), opens, "six opens over three members:\n" + status);
        } finally {
            viewers.forEach(Process::destroy);
        }
    }

    private static String awaitOpens(int total) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String status = cluster.cfsOk("status");
            Matcher m = Pattern.compile("(?m)^p1\\s+async\\s+(?:master|mirror \\d)\\s+\\S+\\s+up\\s+(\\d+)").matcher(status);
            int sum = 0;
            while (m.find()) {
                sum += Integer.parseInt(m.group(1));
            }
            if (sum >= total || System.nanoTime() > deadline) {
                return status;
            }
            Thread.sleep(200);
        }
    }

    private static long firstVolumeOffset(String locateJson) {
        Matcher m = Pattern.compile("\"volumeOffset\"\\s*:\\s*(\\d+)").matcher(locateJson);
        assertTrue(m.find(), locateJson);
        return Long.parseLong(m.group(1));
    }

    private static List<Integer> diff(byte[] a, byte[] b) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < Math.max(a.length, b.length) && at.size() < 5; i++) {
            if (i >= a.length || i >= b.length || a[i] != b[i]) {
                at.add(i);
            }
        }
        return at;
    }
}
