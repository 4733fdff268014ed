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
@Command(name = "mount", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Mount a CFS cluster at MOUNTPOINT (runs in the foreground until SIGTERM or unmount).")
public final class MountMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(MountMain.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "cluster topology file")
    Path config;

    @Option(names = "--id", defaultValue = "host", paramLabel = "ID", description = "this client's id (a host name)")
    String id;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "longest wait for any daemon before a call fails with EIO")
    long timeoutSeconds;

    @Option(names = "-o", paramLabel = "OPTIONS", split = ",",
            description = "extra FUSE mount options, comma separated (e.g. allow_other,ro)")
    List<String> extraOptions = new ArrayList<>();

    @Option(names = "--single-threaded", description = "serve FUSE requests on one thread")
    boolean singleThreaded;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "an existing empty directory")
    Path mountPoint;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command; returns the exit code (0 after a clean unmount, 1 failure, 2 bad usage or config). */
    public static int run(String... args) {
        return new CommandLine(new MountMain()).execute(args);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Topology topology;
        ClusterCredentials credentials;
        try {
            topology = Topology.load(config);
            credentials = ClusterCredentials.load(topology);
        } catch (TopologyException e) {
            System.err.println("cfs mount: " + e.getMessage());
            return 2;
        }
        Path target = mountPoint.toAbsolutePath().normalize();
        if (!MountPoints.prepare(target)) {
            return 1;
        }
        ClientOptions options = new ClientOptions(Duration.ofSeconds(timeoutSeconds), ClientOptions.DEFAULTS.writeBuffer(),
                ClientOptions.DEFAULTS.readAhead(), ClientOptions.DEFAULTS.entryTtl());
        CfsClient client = new CfsClient(topology, credentials, options, Clock.systemUTC(), id);
        try {
            client.getattr("/");
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
        CfsFuse fs = new CfsFuse(client, topology.blockSize(), registry);
        // attr_timeout=0: the kernel asks for attributes each time, so a hard link's count, a size
        // another host committed, or a chmod are seen at once (the page cache is kept separately)
        List<String> fuseArgs = new ArrayList<>(List.of("-o",
                "big_writes,max_read=131072,attr_timeout=0,default_permissions,fsname=cfs,subtype=cfs"));
        for (String o : extraOptions) {
            fuseArgs.add("-o");
            fuseArgs.add(o);
        }
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
        log.info("mounting CFS (metadata server {}) at {} as client {}", hostPort(topology), target, id);
        fs.mount(target, true, false, fuseArgs.toArray(String[]::new));
        log.info("{} unmounted", target);
        return 0;
    }

    private static String hostPort(Topology topology) {
        var a = topology.metadata().address();
        return a.getHostString() + ":" + a.getPort();
    }
}
