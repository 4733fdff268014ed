package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * Several hosts, not one: the metadata server, each storage system and two mounts each run in a
 * network namespace of their own, with an address of their own on a private subnet, so nothing can
 * lean on loopback or on sharing one host's addresses. Then one storage system's link is cut
 * ({@code ip link set DEV down}) in the middle of reads and of writes, and the guarantees of a kill
 * -9 ({@link FaultIT}) must hold: the reader completes with identical bytes by failing over; a
 * write to a pair whose mirror is cut succeeds, {@code cfs status} shows that mirror DOWN, and once
 * the link is back the mirror resyncs ({@code cfs status --wait-synced}) and {@code cfs scrub}
 * finds no mismatch. A cut link closes no connection: requests just get no answer, so this is
 * what proves that no step waits for a TCP timeout (every step here has a deadline). Last, only the
 * path between a master's storage system and a mirror's is cut (a blackhole route in each), the
 * clients still reaching both: a reader assigned that mirror must read an overwrite's new bytes.
 *
 * <p>The network: a hub namespace holds a bridge; every host namespace ({@code meta}, {@code ss1..3},
 * {@code m1}, {@code m2}, and {@code adm} for the admin commands) has an {@code eth0} veth whose
 * peer is a port of that bridge named after the host, and an address {@code 10.213.X.N/24}, X the
 * first subnet not in use on this machine. The bridge lives in its own namespace, not the root
 * one, so the machine's firewall (e.g. Docker's bridge-netfilter rules) never sees the traffic and
 * the machine's own network is not touched. Cutting a host's link downs its bridge port: the host
 * keeps its address, packets to and from it vanish, as with a pulled cable.
 *
 * <p>The processes are {@code scripts/cfs ...} started through {@code nsenter --net=/run/netns/NS}:
 * that enters only the network namespace. {@code ip netns exec} would also unshare the mount
 * namespace (to bind-mount {@code /etc/netns/NS} files), so a FUSE mount made under it would be
 * invisible to this test and to {@code fusermount}; with {@code nsenter --net} the mounts appear in
 * the machine's mount table as usual, their network traffic goes through their namespace, and
 * this test reads and writes them with ordinary file I/O.
 *
 * <p>Everything is removed after the tests, also when they fail or the JVM is stopped (a shutdown
 * hook): the processes (by pid), the mounts, and the namespaces, whose removal takes the veths,
 * the bridge and the addresses with them. The tests are skipped (with the reason) when not run as
 * root, or when {@code ip} or network namespaces are not available.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetnsIT {
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static final Duration START = Duration.ofSeconds(120);
    private static final List<String> STORAGES = List.of("ss1", "ss2", "ss3");
    private static Hosts hosts;
    private static Path dir;
    private static Path conf;
    private static final Map<String, Process> processes = new LinkedHashMap<>();
    private static Path m1;
    private static Path m2;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        Hosts.assumeAvailable();
        dir = LocalCluster.HOME.resolve("integration-tests/target/it/netns");
        LocalCluster.deleteTree(dir);
        Files.createDirectories(dir.resolve("logs"));
        hosts = Hosts.create(List.of("meta", "ss1", "ss2", "ss3", "m1", "m2", "adm"));
        Runtime.getRuntime().addShutdownHook(new Thread(NetnsIT::cleanUp, "netns-it-cleanup"));

        conf = dir.resolve("topology.conf");
        Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "netns-it-secret-" + java.util.UUID.randomUUID());
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(conf, String.join("\n",
                "cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret",
                "metadata address=" + hosts.address("meta") + ":7400 data=meta",
                "storage  ss1 address=" + hosts.address("ss1") + ":7401 data=ss1",
                "storage  ss2 address=" + hosts.address("ss2") + ":7402 data=ss2",
                "storage  ss3 address=" + hosts.address("ss3") + ":7403 data=ss3",
                LocalCluster.PAIRS));
        launch("meta", "metadata-server", "--config", conf.toString(), "--id", "meta");
        for (String ss : STORAGES) {
            launch(ss, "block-store", "--config", conf.toString(), "--id", ss);
        }
        awaitListening("meta", 7400);
        for (int i = 0; i < STORAGES.size(); i++) {
            awaitListening(STORAGES.get(i), 7401 + i);
        }
        m1 = mount("m1");
        m2 = mount("m2");
    }

    @AfterAll
    static void stop() {
        cleanUp();
    }

    @Test
    @Order(1)
    void eachPartRunsOnItsOwnHostAndBothMountsSeeOneNamespace() throws Exception {
        String status = cfsOk("status");
        for (String ss : STORAGES) {
            assertTrue(Pattern.compile("(?m)^" + ss + "\\s+up\\s+" + Pattern.quote(hosts.address(ss) + ":"))
                    .matcher(status).find(), ss + " up at its own address in:\n" + status);
        }
        for (String host : List.of("m1", "m2")) {
            assertTrue(status.contains(host), "the session of " + host + " in:\n" + status);
        }
        for (int i = 0; i < STORAGES.size(); i++) { // bound to its own address (as [::ffff:a.b.c.d]), not a wildcard
            String ss = STORAGES.get(i);
            String listening = Shell.ok(TOOL, dir, "ip", "netns", "exec", hosts.namespace(ss), "ss", "-Hltn");
            assertTrue(Pattern.compile(Pattern.quote(hosts.address(ss)) + "]?:" + (7401 + i) + "\\s").matcher(listening)
                    .find(), ss + " listens on:\n" + listening);
        }
        Path src = source("hello.bin", 3 << 20);
        Files.createDirectories(m1.resolve("hello"));
        Shell.ok(TOOL, dir, "cp", src.toString(), m1.resolve("hello/hello.bin").toString());
        Shell.ok(TOOL, dir, "cmp", src.toString(), m2.resolve("hello/hello.bin").toString());
    }

    @Test
    @Order(2)
    void aReaderWhoseMembersLinkIsCutCompletesWithIdenticalBytes() throws Exception {
        Path dirOnM1 = pinned("failover", "p2"); // sync: master on ss2, mirror 1 on ss3, mirror 2 on ss2
        Path src = source("movie.bin", 100 << 20);
        Shell.ok(TOOL, dir, "cp", src.toString(), dirOnM1.resolve("movie.bin").toString());
        Path movie = m2.resolve("failover/movie.bin");
        // the first open takes the master; the reader's open on m2 is then assigned mirror 1, on ss3
        Process holder = new ProcessBuilder("bash", "-c", "exec 3<" + movie + "; sleep 300").start();
        boolean cut = false;
        try {
            String before = awaitStatus(Pattern.compile("(?m)^p2\\s+sync\\s+master\\s+\\S+\\s+up\\s+1\\b"));
            CompletableFuture<String> digest = new CompletableFuture<>();
            long[] cutAt = {0};
            Thread reader = new Thread(() -> {
                try (InputStream in = Files.newInputStream(movie)) {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[1 << 20];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                        total += n;
                        if (cutAt[0] == 0 && total > (30 << 20)) {
                            hosts.cut("ss3"); // the reader's member drops off the network mid-file
                            cutAt[0] = System.nanoTime();
                        }
                    }
                    digest.complete(HexFormat.of().formatHex(sha.digest()));
                } catch (Throwable e) {
                    digest.completeExceptionally(e);
                }
            }, "netns-reader");
            reader.setDaemon(true);
            reader.start();
            String read = digest.get(3, TimeUnit.MINUTES); // never a hang
            cut = cutAt[0] != 0;
            assertTrue(cut, "the link was cut during the read");
            long afterCut = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cutAt[0]);
            System.out.println("NetnsIT: read completed " + afterCut + " s after ss3's link was cut");
            assertEquals(sha256(src), read, "bytes read across the fail-over; status before the cut:\n" + before);
            assertTrue(afterCut < 60, "the rest of the read took " + afterCut + " s after the cut");
        } finally {
            holder.destroy();
            if (cut) {
                hosts.restore("ss3");
            }
        }
        awaitStatus(Pattern.compile("(?m)^ss3\\s+up\\s"));
    }

    @ParameterizedTest(name = "pair {0} ({3}), mirror {1} on {2}")
    @CsvSource({"p2, 1, ss3, sync", "p1, 2, ss3, async"})
    @Order(3)
    void aWriteWhoseMirrorsLinkIsCutSucceedsAndTheMirrorResyncsOnceItIsBack(String pair, int member, String storage,
                                                                          String mode) throws Exception {
        Path target = pinned("cut-write-" + pair, pair).resolve("big.bin");
        Path src = source("big-" + pair + ".bin", 80 << 20);
        Process cp = new ProcessBuilder("cp", src.toString(), target.toString()).redirectErrorStream(true).start();
        boolean cut = false;
        try {
            awaitSize(target, 10 << 20, cp);
            hosts.cut(storage);
            cut = true;
            assertTrue(cp.waitFor(3, TimeUnit.MINUTES), "cp did not finish");
            assertEquals(0, cp.exitValue(), "the write must succeed with a mirror cut off: "
                    + new String(cp.getInputStream().readAllBytes()));
            Pattern down = Pattern.compile("(?m)^" + pair + "\\s+" + mode + "\\s+mirror " + member + "\\s.*DOWN");
            awaitStatus(down);
            Shell.ok(TOOL, dir, "cmp", src.toString(), target.toString());
        } finally {
            if (cut) {
                hosts.restore(storage);
            }
            cp.destroyForcibly();
        }
        cfsOk("status", "--wait-synced", "--timeout", "150");
        Shell.Result scrub = cfs("scrub");
        assertEquals(0, scrub.exitCode(), scrub.output());
        Shell.ok(TOOL, dir, "cmp", src.toString(), m2.resolve("cut-write-" + pair + "/big.bin").toString());
    }

    /**
     * Only the link between a master's storage system and a mirror's is cut (a blackhole route each
     * way), while the clients still reach both: the master cannot tell the mirror that the clusters
     * an overwrite changes are stale. The overwrite is acknowledged once the mirror's read lease has
     * expired, and a reader whose open is assigned that mirror reads the new bytes, never the old.
     */
    @Test
    @Order(4)
    void aMirrorCutOffFromItsMasterOnlyNeverServesTheOldBytes() throws Exception {
        Path onM1 = pinned("lease", "p1").resolve("clip.bin"); // async: master ss1, mirror 1 ss2, mirror 2 ss3
        Path clip = m2.resolve("lease/clip.bin");
        Path old = source("lease-old.bin", 8 << 20);
        Path overwrite = source("lease-new.bin", 8 << 20);
        Shell.ok(TOOL, dir, "cp", old.toString(), onM1.toString());
        cfsOk("status", "--wait-synced", "--timeout", "150");
        assertEquals(sha256(old), readThroughMirror1(clip), "before the cut, mirror 1 serves the file");

        boolean cut = false;
        try {
            hosts.partition("ss1", "ss2");
            cut = true;
            long start = System.nanoTime();
            Shell.ok(TOOL, dir, "dd", "if=" + overwrite, "of=" + onM1, "bs=1M", "conv=notrunc,fsync", "status=none");
            long writeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("NetnsIT: 8 MiB overwrite with mirror 1 cut off from its master took " + writeMillis
                    + " ms");
            // held at most about 1.7 mirror leases (3 s) beyond the write itself; never a hang
            assertTrue(writeMillis < 30_000, "the overwrite took " + writeMillis + " ms");
            assertEquals(sha256(overwrite), readThroughMirror1(clip),
                    "a reader assigned mirror 1, which was never told the clusters changed, read the old bytes");
            String masterLog = Files.readString(dir.resolve("logs/ss1.log"));
            assertTrue(masterLog.contains("mirror ss2:v1: read lease revoked"), "ss1 revoked mirror 1's lease: "
                    + tail("ss1"));
        } finally {
            if (cut) {
                hosts.heal("ss1", "ss2");
            }
        }
        cfsOk("status", "--wait-synced", "--timeout", "150");
        Shell.Result scrub = cfs("scrub");
        assertEquals(0, scrub.exitCode(), scrub.output());
        assertEquals(sha256(overwrite), readThroughMirror1(clip), "healed, mirror 1 serves the new bytes");
    }

    /**
     * Reads a file of pair p1 on m2 through an open the Usage Table assigns mirror 1: another open
     * holds the master meanwhile (each open gets the least-used member, the first of equals).
     */
    private static String readThroughMirror1(Path file) throws Exception {
        Path out = dir.resolve("sources/read-through-mirror-1.bin");
        Files.deleteIfExists(out);
        Process holder = new ProcessBuilder("bash", "-c", "exec 3<" + file + "; sleep 300").start();
        Process reader = null;
        try {
            awaitStatus(Pattern.compile("(?m)^p1\\s+async\\s+master\\s+\\S+\\s+up\\s+1\\b"));
            reader = new ProcessBuilder("bash", "-c", "exec 3<" + file + " && echo opened && read go && cat <&3 >"
                    + out).redirectErrorStream(true).start();
            var lines = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream()));
            assertEquals("opened", lines.readLine());
            String status = awaitStatus(Pattern.compile("(?m)^p1\\s+async\\s+mirror 1\\s+\\S+\\s+up\\s+1\\b"));
            reader.getOutputStream().write("go\n".getBytes());
            reader.getOutputStream().close();
            assertTrue(reader.waitFor(3, TimeUnit.MINUTES), "the read did not finish");
            assertEquals(0, reader.exitValue(), "the read failed; status:\n" + status);
            return sha256(out);
        } finally {
            holder.destroy();
            if (reader != null) {
                reader.destroyForcibly();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Path pinned(String name, String pair) throws Exception {
        Path d = Files.createDirectories(m1.resolve(name));
        cfsOk("set-pair", d.toString(), pair);
        return d;
    }

    private static Path source(String name, int size) throws IOException {
        Path p = Files.createDirectories(dir.resolve("sources")).resolve(name);
        java.util.Random random = new java.util.Random(name.hashCode());
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(p)) {
            for (int left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, Math.min(chunk.length, left));
            }
        }
        return p;
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void awaitSize(Path file, long size, Process writer) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(file) || Files.size(file) < size) {
            assertTrue(writer.isAlive(), "the writer exited before writing " + size + " bytes");
            assertTrue(System.nanoTime() < deadline, file + " did not reach " + size + " bytes");
            Thread.sleep(50);
        }
    }

    /** Polls {@code cfs status} (from the admin host) until it matches; returns it. */
    private static String awaitStatus(Pattern expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String status = cfsOk("status");
        while (!expected.matcher(status).find()) {
            assertTrue(System.nanoTime() < deadline, "status never matched " + expected + ":\n" + status);
            Thread.sleep(500);
            status = cfsOk("status");
        }
        return status;
    }

    /** An admin command run from the admin host's namespace. */
    private static Shell.Result cfs(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=" + hosts.path("adm"), LocalCluster.cfs()));
        command.addAll(List.of(args));
        command.addAll(List.of("--config", conf.toString()));
        return Shell.run(TOOL, dir, command.toArray(String[]::new));
    }

    private static String cfsOk(String... args) throws Exception {
        Shell.Result r = cfs(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("cfs " + String.join(" ", args) + " exited with " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }

    /** Starts {@code scripts/cfs ARGS} on host {@code name}: in its network namespace, in this mount namespace. */
    private static Process launch(String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=" + hosts.path(name), LocalCluster.cfs()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("logs/" + name + ".log").toFile()).start();
        synchronized (processes) {
            processes.put(name, p);
        }
        return p;
    }

    private static void awaitListening(String name, int port) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        String probe = "exec 3<>/dev/tcp/" + hosts.address(name) + "/" + port;
        while (Shell.run(Duration.ofSeconds(10), dir, "nsenter", "--net=" + hosts.path("adm"), "bash", "-c", probe)
                .exitCode() != 0) {
            assertTrue(processes.get(name).isAlive(), name + " exited: " + tail(name));
            assertTrue(System.nanoTime() < deadline, name + " not reachable at " + hosts.address(name) + ":" + port
                    + " within " + START + ": " + tail(name));
            Thread.sleep(250);
        }
    }

    private static Path mount(String host) throws Exception {
        Path point = Files.createDirectories(dir.resolve("mnt-" + host));
        Process p = launch(host, "mount", "--config", conf.toString(), "--id", host, point.toString());
        long deadline = System.nanoTime() + START.toNanos();
        while (!mounted(point)) {
            assertTrue(p.isAlive(), "mount on " + host + " exited: " + tail(host));
            assertTrue(System.nanoTime() < deadline, "mount on " + host + " did not appear: " + tail(host));
            Thread.sleep(100);
        }
        return point;
    }

    private static boolean mounted(Path point) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .anyMatch(l -> l.split(" ")[1].equals(point.toString()));
    }

    private static String tail(String name) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("logs/" + name + ".log"));
            return "the end of its log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops what the tests started and removes the network; safe to call twice and from a shutdown hook. */
    private static synchronized void cleanUp() {
        List<Map.Entry<String, Process>> started;
        synchronized (processes) {
            started = new ArrayList<>(processes.entrySet());
            processes.clear();
        }
        for (int i = started.size() - 1; i >= 0; i--) { // mounts first, the metadata server last
            Process p = started.get(i).getValue();
            p.destroy(); // SIGTERM: a mount unmounts, a daemon stops
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        for (Path point : new Path[] {m1, m2}) {
            try {
                if (point != null && mounted(point)) {
                    Shell.run(Duration.ofSeconds(30), Path.of("/"), "fusermount", "-u", "-z", point.toString());
                }
            } catch (Exception e) {
                System.err.println("NetnsIT: could not unmount " + point + ": " + e);
            }
        }
        if (hosts != null) {
            hosts.close();
            hosts = null;
        }
    }

    /**
     * The test's network: a hub namespace with a bridge, and one namespace per host linked to it,
     * named {@code cfs<X>-<host>}, on subnet {@code 10.213.<X>.0/24}.
     */
    static final class Hosts implements AutoCloseable {
        private static final Duration IP = Duration.ofSeconds(30);
        private final int subnet;
        private final Map<String, String> addresses = new LinkedHashMap<>();
        private final List<String> namespaces = new ArrayList<>();

        private Hosts(int subnet) {
            this.subnet = subnet;
        }

        /** Skips (with the reason) unless this runs as root with {@code ip} and network namespaces. */
        static void assumeAvailable() throws Exception {
            boolean root = "0".equals(Shell.run(IP, Path.of("/"), "id", "-u").output().trim());
            assumeTrue(root, () -> skip("not running as root: creating network namespaces needs it"));
            boolean ip = Shell.run(IP, Path.of("/"), "sh", "-c", "command -v ip && command -v nsenter").exitCode() == 0;
            assumeTrue(ip, () -> skip("'ip' (iproute2) or 'nsenter' (util-linux) is not installed"));
            String probe = "cfsprobe" + ProcessHandle.current().pid();
            Shell.Result add = Shell.run(IP, Path.of("/"), "ip", "netns", "add", probe);
            Shell.run(IP, Path.of("/"), "ip", "netns", "del", probe);
            assumeTrue(add.exitCode() == 0, () -> skip("network namespaces are not available here: ip netns add: "
                    + add.output().trim()));
        }

        private static String skip(String reason) {
            System.err.println("SKIPPED NetnsIT: " + reason);
            return reason;
        }

        /** Makes the hub and the hosts, on the first 10.213.X.0/24 this machine does not use. */
        static Hosts create(List<String> names) throws Exception {
            String used = Shell.ok(IP, Path.of("/"), "sh", "-c", "ip -o addr; ip route; ip netns list");
            int subnet = 1;
            while (used.contains("10.213." + subnet + ".") || used.contains("cfs" + subnet + "-")) {
                subnet++;
                if (subnet > 250) {
                    throw new AssertionError("no free 10.213.X.0/24 subnet on this machine:\n" + used);
                }
            }
            Hosts hosts = new Hosts(subnet);
            try {
                String hub = hosts.add("hub");
                ip("-n", hub, "link", "add", "br0", "type", "bridge");
                ip("-n", hub, "link", "set", "dev", "br0", "up");
                int n = 10;
                for (String name : names) {
                    String ns = hosts.add(name);
                    String address = "10.213." + subnet + "." + n++;
                    ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", name, "netns", hub);
                    ip("-n", hub, "link", "set", "dev", name, "master", "br0");
                    ip("-n", hub, "link", "set", "dev", name, "up");
                    ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
                    ip("-n", ns, "link", "set", "dev", "eth0", "up");
                    ip("-n", ns, "link", "set", "dev", "lo", "up");
                    hosts.addresses.put(name, address);
                }
                return hosts;
            } catch (Exception | AssertionError e) {
                hosts.close();
                throw e;
            }
        }

        private String add(String name) throws Exception {
            String ns = "cfs" + subnet + "-" + name;
            ip("netns", "add", ns);
            namespaces.add(ns);
            return ns;
        }

        String namespace(String host) {
            return "cfs" + subnet + "-" + host;
        }

        /** The namespace file nsenter enters. */
        String path(String host) {
            return "/run/netns/" + namespace(host);
        }

        String address(String host) {
            return addresses.get(host);
        }

        /** Cuts the host's link: its bridge port goes down. */
        void cut(String host) throws Exception {
            ip("-n", namespace("hub"), "link", "set", "dev", host, "down");
        }

        void restore(String host) throws Exception {
            ip("-n", namespace("hub"), "link", "set", "dev", host, "up");
        }

        /** Cuts only the path between two hosts: each drops what it sends to the other (a blackhole route). */
        void partition(String a, String b) throws Exception {
            ip("-n", namespace(a), "route", "add", "blackhole", address(b) + "/32");
            ip("-n", namespace(b), "route", "add", "blackhole", address(a) + "/32");
        }

        void heal(String a, String b) throws Exception {
            ip("-n", namespace(a), "route", "del", "blackhole", address(b) + "/32");
            ip("-n", namespace(b), "route", "del", "blackhole", address(a) + "/32");
        }

        private static void ip(String... args) throws Exception {
            String[] command = new String[args.length + 1];
            command[0] = "ip";
            System.arraycopy(args, 0, command, 1, args.length);
            Shell.ok(IP, Path.of("/"), command);
        }

        /** Kills whatever still runs in the namespaces (only this test's processes can), then deletes them. */
        @Override
        public void close() {
            for (int i = namespaces.size() - 1; i >= 0; i--) {
                String ns = namespaces.get(i);
                try {
                    Shell.run(IP, Path.of("/"), "sh", "-c", "ip netns pids " + ns + " | xargs -r kill -9");
                    Shell.Result del = Shell.run(IP, Path.of("/"), "ip", "netns", "del", ns);
                    if (del.exitCode() != 0) {
                        System.err.println("NetnsIT: ip netns del " + ns + ": " + del.output());
                    }
                } catch (Exception e) {
                    System.err.println("NetnsIT: could not remove namespace " + ns + ": " + e);
                }
            }
            namespaces.clear();
        }
    }
}
