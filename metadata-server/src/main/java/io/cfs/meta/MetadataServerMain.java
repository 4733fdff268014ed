package io.cfs.meta;

import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.metrics.MetricsServer;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The metadata server daemon: {@code metadata-server --config cluster.topology [--id meta]}. */
@Command(name = "metadata-server", sortOptions = false, showDefaultValues = true,
        description = "Serves the CFS namespace, File Allocation Table and Usage Table; every change is"
                + " journaled under the topology's metadata data folder before it is answered.")
public final class MetadataServerMain implements Callable<Integer> {
    /** Exit code: a topology that cannot be read or used. */
    public static final int BAD_TOPOLOGY = 2;
    /** Exit code: any other failure to start (address in use, corrupt journal, bad option value, ...). */
    public static final int START_FAILED = 1;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the topology file")
    private Path config;

    @Option(names = "--id", paramLabel = "ID", defaultValue = "meta", description = "this server's name in logs")
    private String id;

    @Option(names = "--lease-ms", paramLabel = "MS", defaultValue = "10000",
            description = "how long a client session lives without a keep-alive")
    private long leaseMillis;

    @Option(names = "--storage-timeout-ms", paramLabel = "MS", defaultValue = "3000",
            description = "how long a storage system may go without a heartbeat before it is considered down")
    private long storageTimeoutMillis;

    @Option(names = "--snapshot-every", paramLabel = "RECORDS", defaultValue = "100000",
            description = "journal records between two snapshots of the state")
    private long snapshotEvery;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    private boolean help;

    public static void main(String... args) {
        System.exit(run(args));
    }

    /**
     * Runs the server until the JVM shuts down (SIGTERM, SIGINT). Returns 0 after a normal
     * shutdown, 2 for a bad topology, 1 for any other startup failure (the message on stderr).
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new MetadataServerMain());
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        PrintWriter err = new PrintWriter(System.err, true);
        Topology topology;
        ClusterCredentials credentials;
        try {
            topology = Topology.load(config);
            credentials = ClusterCredentials.load(topology);
        } catch (TopologyException e) {
            err.println(e.getMessage());
            return BAD_TOPOLOGY;
        } catch (NoSuchFileException e) {
            err.println("topology file " + config + " does not exist");
            return BAD_TOPOLOGY;
        } catch (IOException e) {
            err.println("cannot read topology file " + config + ": " + e);
            return BAD_TOPOLOGY;
        }
        MetadataServer server;
        MetricsServer metrics = null;
        try {
            MetadataOptions options = MetadataOptions.defaults().withId(id)
                    .withLease(Duration.ofMillis(leaseMillis))
                    .withStorageTimeout(Duration.ofMillis(storageTimeoutMillis))
                    .withSnapshotEvery(snapshotEvery);
            Optional<InetSocketAddress> metricsAddress = topology.metadata().metrics();
            if (metricsAddress.isPresent()) {
                metrics = MetricsServer.start(metricsAddress.get(), "metadata-server", id);
                options = options.withMetrics(metrics.registry());
            }
            server = MetadataServer.start(topology, credentials, options);
        } catch (IOException | RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            err.println("metadata server " + id + " cannot start: " + e.getMessage());
            return START_FAILED;
        }
        MetricsServer metricsServer = metrics;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (metricsServer != null) {
                metricsServer.close();
            }
            stopped.countDown();
        }, id + "-shutdown"));
        while (stopped.getCount() > 0) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                // only the shutdown hook stops the server
            }
        }
        return 0;
    }
}
