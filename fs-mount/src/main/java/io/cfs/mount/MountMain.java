package io.cfs.mount;

import io.cfs.mount.client.CfsClient;
import io.cfs.mount.client.ClientOptions;
import io.cfs.metrics.MetricsServer;
import io.cfs.mount.fuse.CfsFuse;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cfs mount}: mounts the cluster at a directory through FUSE and serves it until SIGTERM. */
@Command(name = "cfs mount", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = MountMain.Version.class,
        description = {"Mount a CFS cluster at MOUNTPOINT; runs in the foreground until SIGTERM or umount. To mount "
                + "in the background, with mount(8) or from /etc/fstab, use scripts/mount.cfs (see its --help).",
                "Exit codes: 0 after a clean unmount, 1 the mount failed, 2 bad usage, options or topology."})
public final class MountMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(MountMain.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "cluster topology file")
    Path config;

    @Option(names = "--id", paramLabel = "ID",
            description = "this client's id in the metadata server's sessions (default: this host's name)")
    String id;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "longest wait for any daemon before a call fails with EIO")
    long timeoutSeconds;

    @Option(names = "--attr-cache", defaultValue = "60", paramLabel = "SECONDS",
            description = "how long this host keeps names and attributes the metadata server gave it, at most"
                    + " (the server tells it of every change of them at once, whichever host made it; 0: keep none,"
                    + " ask every time)")
    double attrCacheSeconds;

    @Option(names = "-o", paramLabel = "OPTIONS", split = ",", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            description = {"mount options, comma separated, as mount(8) and FUSE take them: ro (refuse every change "
                    + "with EROFS), allow_other (every user may use the mount, not only the one who mounted it; "
                    + "adds default_permissions, the kernel's own checks), "
                    + "nosuid, nodev, noexec, uid=, gid=, umask=, ... fstab's own (defaults, _netdev, nofail, noauto, "
                    + "x-*) are accepted and dropped; an unknown option is refused.",
                    "Always on: " + MountOptions.DEFAULTS_TEXT})
    List<String> extraOptions = new ArrayList<>();

    @Option(names = "--single-threaded", description = "serve FUSE requests on one thread")
    boolean singleThreaded;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "an empty directory (created if missing)")
    Path mountPoint;

    /** {@code --version}: the version in the jar's manifest (Maven's project version). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = MountMain.class.getPackage().getImplementationVersion();
            return new String[] {"CFS " + (v != null ? v : "(not built as a jar)")};
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command; returns the exit code (0 after a clean unmount, 1 failure, 2 bad usage or config). */
    public static int run(String... args) {
        return new CommandLine(new MountMain()).execute(args);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        MountOptions options; // checked first: a typo in -o is refused before anything is read or mounted
        try {
            options = MountOptions.parse(extraOptions);
        } catch (IllegalArgumentException e) {
            System.err.println("cfs mount: " + e.getMessage());
            return 2;
        }
        Topology topology;
        ClusterCredentials credentials;
        try {
            topology = Topology.load(config);
            credentials = ClusterCredentials.load(topology);
        } catch (TopologyException e) {
            System.err.println("cfs mount: " + e.getMessage());
            return 2;
        }
        if (!(attrCacheSeconds >= 0 && attrCacheSeconds <= 3600)) {
            System.err.println("cfs mount: --attr-cache " + attrCacheSeconds + ": expected 0..3600 seconds");
            return 2;
        }
        if (id == null) {
            id = java.net.InetAddress.getLocalHost().getHostName();
        }
        Path target = mountPoint.toAbsolutePath().normalize();
        if (!MountPoints.prepare(target)) {
            return 1;
        }
        ClientOptions clientOptions = new ClientOptions(Duration.ofSeconds(timeoutSeconds),
                ClientOptions.DEFAULTS.writeBuffer(), ClientOptions.DEFAULTS.readAhead(),
                Duration.ofMillis(Math.round(attrCacheSeconds * 1000)));
        CfsClient client = new CfsClient(topology, credentials, clientOptions, Clock.systemUTC(), id);
        try {
            client.getattr(io.cfs.mount.client.Caller.ROOT, "/");
        } catch (CfsException e) {
            if (e.code() == ErrorCode.AUTHENTICATION_FAILED) {
                System.err.println("cfs mount: the metadata server at " + hostPort(topology) + " refused the cluster"
                        + " secret (" + e.getMessage() + "); use the secret file of that cluster");
            } else {
                System.err.println("cfs mount: the metadata server at " + hostPort(topology)
                        + " does not answer (" + e.getMessage() + "); start it, then mount again");
            }
            client.close();
            return 1;
        }
        if (!java.nio.charset.Charset.defaultCharset().equals(java.nio.charset.StandardCharsets.UTF_8)) {
            // jnr-fuse turns the kernel's path bytes into Strings with the default charset
            log.warn("the default charset is {}, not UTF-8: paths with non-ASCII names will not resolve; run the"
                    + " mount with -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8 (or in a UTF-8 locale)",
                    java.nio.charset.Charset.defaultCharset());
        }
        MetricsServer metrics = null;
        Optional<InetSocketAddress> metricsAddress = topology.mountMetrics(id);
        if (metricsAddress.isPresent()) {
            try {
                metrics = MetricsServer.start(metricsAddress.get(), "mount", id);
            } catch (IOException e) {
                System.err.println("cfs mount: " + e.getMessage());
                client.close();
                return 1;
            }
        } else {
            log.info("no 'mount {} metrics=HOST:PORT' line in {}: this mount serves no metrics", id, config);
        }
        MeterRegistry registry = metrics != null ? metrics.registry() : new SimpleMeterRegistry();
        client.bindMetrics(registry);
        CfsFuse fs = new CfsFuse(client, topology.blockSize(), options.readOnly(),
                options.fuse().contains("default_permissions"), registry);
        List<String> fuseArgs = new ArrayList<>(options.fuseArguments());
        if (singleThreaded) {
            fuseArgs.add("-s");
        }
        MetricsServer metricsServer = metrics;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("unmounting {} ({})", target, fs.stats());
            fs.umount();
            client.close();
            if (metricsServer != null) {
                metricsServer.close();
            }
        }, "cfs-unmount"));
        if (!options.dropped().isEmpty()) {
            log.info("mount options {} are mount(8)'s or fstab's and have no effect on the mount itself",
                    options.dropped());
        }
        log.info("mounting CFS (metadata server {}) at {} as client {} with -o {}", hostPort(topology), target, id,
                String.join(",", options.fuse()));
        fs.mount(target, true, false, fuseArgs.toArray(String[]::new));
        log.info("{} unmounted", target);
        return 0;
    }

    private static String hostPort(Topology topology) {
        var a = topology.metadata().address();
        return a.getHostString() + ":" + a.getPort();
    }
}
