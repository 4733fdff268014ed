package io.cfs.it;

import io.cfs.protocol.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real cluster of processes started with {@code scripts/local-cluster.sh}, on free loopback
 * ports, with its state under {@code integration-tests/target/it/NAME}: a metadata server, three
 * storage systems and a FUSE mount (client id {@code local}), each serving its metrics on a free
 * port. The same topology cases as the default local cluster (async
 * pair with mirrors on two other storage systems; sync pair with a mirror on another storage
 * system and one on its own; async pair with its mirror on its own storage system), with small
 * volumes.
 */
final class LocalCluster implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("cfs.home", "..")).toAbsolutePath().normalize();
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(3);

    final Path dir;
    final Path conf;
    final Path mountPoint;
    final int metaPort;
    final int[] storagePorts = new int[3];
    /** Where each part serves its metrics: meta, ss1..ss3, mount (the topology's metrics= keys). */
    private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();

    LocalCluster(String name) throws IOException, InterruptedException {
        dir = HOME.resolve("integration-tests/target/it").resolve(name);
        if (Files.exists(dir.resolve("cluster.conf"))) {
            Shell.run(SCRIPT_TIMEOUT, HOME, script(), "down", "--dir", dir.toString());
        }
        deleteTree(dir);
        Files.createDirectories(dir);
        metaPort = FreePorts.next();
        for (int i = 0; i < storagePorts.length; i++) {
            storagePorts[i] = FreePorts.next();
        }
        for (String part : List.of("meta", "ss1", "ss2", "ss3", "mount")) {
            metricsPorts.put(part, FreePorts.next());
        }
        conf = dir.resolve("topology.conf");
        Files.writeString(conf, String.join("\n",
                "cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret",
                "metadata address=127.0.0.1:" + metaPort + " data=meta metrics=" + metrics("meta"),
                "storage  ss1 address=127.0.0.1:" + storagePorts[0] + " data=ss1 metrics=" + metrics("ss1"),
                "storage  ss2 address=127.0.0.1:" + storagePorts[1] + " data=ss2 metrics=" + metrics("ss2"),
                "storage  ss3 address=127.0.0.1:" + storagePorts[2] + " data=ss3 metrics=" + metrics("ss3"),
                "mount    local metrics=" + metrics("mount"),
                PAIRS));
        mountPoint = dir.resolve("mnt");
    }

    /**
     * The volumes and pairs of every test cluster (as scripts/local-cluster.conf, with 1 GiB volumes):
     * p1 async ss1 -> ss2, ss3; p2 sync ss2 -> ss3, ss2; p3 async ss3 -> ss3.
     */
    static final String PAIRS = String.join("\n",
            "volume   ss1:v1 capacity=1GiB",
            "volume   ss2:v1 capacity=1GiB",
            "volume   ss3:v1 capacity=1GiB",
            "volume   ss2:v2 capacity=1GiB",
            "volume   ss3:v2 capacity=1GiB",
            "volume   ss2:v3 capacity=1GiB",
            "volume   ss3:v3 capacity=1GiB",
            "volume   ss3:v4 capacity=1GiB",
            "pair     p1 mode=async master=ss1:v1 mirrors=ss2:v1,ss3:v1",
            "pair     p2 mode=sync  master=ss2:v2 mirrors=ss3:v2,ss2:v3",
            "pair     p3 mode=async master=ss3:v3 mirrors=ss3:v4",
            "");

    /** Starts every part and mounts; fails with the script's output (and daemon log tail) if any part does not come up. */
    LocalCluster up() throws IOException, InterruptedException {
        Shell.ok(SCRIPT_TIMEOUT, HOME, script(), "up", "--dir", dir.toString(), "--config", conf.toString());
        return this;
    }

    /** The topology the cluster runs with (the copy under its folder). */
    Path topology() {
        return dir.resolve("cluster.conf");
    }

    /** {@code 127.0.0.1:PORT} where a part (meta, ss1..ss3, mount) serves its metrics. */
    String metrics(String part) {
        Integer port = metricsPorts.get(part);
        if (port == null) {
            throw new IllegalArgumentException("no part '" + part + "': expected one of " + metricsPorts.keySet());
        }
        return "127.0.0.1:" + port;
    }

    /** {@code GET /metrics} of a part: its Prometheus text. */
    String scrape(String part) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + metrics(part) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET /metrics of " + part + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** A volume's backing file on its storage system. */
    Path volumeFile(String storage, String volume) {
        return dir.resolve(storage).resolve("volumes").resolve(volume + ".vol");
    }

    /** {@code local-cluster.sh stop NAME}: kill -9 of one part. */
    void kill(String part) throws IOException, InterruptedException {
        Shell.ok(SCRIPT_TIMEOUT, HOME, script(), "stop", part, "--dir", dir.toString());
    }

    /** {@code local-cluster.sh start NAME}. */
    void start(String part) throws IOException, InterruptedException {
        Shell.ok(SCRIPT_TIMEOUT, HOME, script(), "start", part, "--dir", dir.toString());
    }

    /** Runs {@code scripts/cfs ARGS --config <this cluster>}; returns exit code and output. */
    Shell.Result cfs(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 3];
        command[0] = cfs();
        System.arraycopy(args, 0, command, 1, args.length);
        command[args.length + 1] = "--config";
        command[args.length + 2] = topology().toString();
        return Shell.run(SCRIPT_TIMEOUT, HOME, command);
    }

    /** Like {@link #cfs} but the command must exit 0. */
    String cfsOk(String... args) throws IOException, InterruptedException {
        Shell.Result r = cfs(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("cfs " + String.join(" ", args) + " exited with " + r.exitCode() + ":\n"
                    + r.output());
        }
        return r.output();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Shell.Result r = Shell.run(SCRIPT_TIMEOUT, HOME, script(), "down", "--dir", dir.toString());
        if (r.exitCode() != 0) {
            throw new AssertionError("local-cluster.sh down failed:\n" + r.output());
        }
    }

    /**
     * A file of {@code size} pseudo-random bytes (seeded by its name, so runs repeat) on the local
     * disk under this cluster's folder, to copy into the mount and compare with.
     */
    Path sourceFile(String name, long size) throws IOException {
        Path p = Files.createDirectories(dir.resolve("sources")).resolve(name);
        java.util.Random random = new java.util.Random(name.hashCode());
        byte[] chunk = new byte[1 << 20];
        try (java.io.OutputStream out = Files.newOutputStream(p)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return p;
    }

    static String script() {
        return HOME.resolve("scripts/local-cluster.sh").toString();
    }

    static String cfs() {
        return HOME.resolve("scripts/cfs").toString();
    }


    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (var walk = Files.walk(root)) {
            walk.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(all.get(i));
        }
    }
}
