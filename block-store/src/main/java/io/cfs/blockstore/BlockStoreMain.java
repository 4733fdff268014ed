package io.cfs.blockstore;

import io.cfs.metrics.MetricsServer;
import io.cfs.topology.StorageId;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import io.cfs.topology.TopologyParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The block-store daemon: {@code block-store --config cluster.topology --id ss1}. Runs until SIGTERM. */
@Command(name = "block-store", showDefaultValues = true,
        description = "Runs one CFS storage system: serves its volumes, mirrors its master volumes and resyncs "
                + "mirrors until SIGTERM.")
public final class BlockStoreMain implements Callable<Integer> {
    /** Exit code of a topology that cannot be used or an id not in it. */
    public static final int BAD_CONFIG = 2;
    /** Exit code of a failure to start (a file that cannot be used, an address in use). */
    public static final int START_FAILED = 1;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    private boolean help;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The topology file.")
    private Path config;

    @Option(names = "--id", required = true, paramLabel = "SSID", description = "This storage system's id in the topology.")
    private String id;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "" + BlockStoreOptions.DEFAULT_IO_THREADS,
            description = "Netty event loop threads.")
    private int ioThreads;

    @Option(names = "--sync-rate", paramLabel = "BYTES_PER_SEC", defaultValue = "0",
            description = "Sync Daemon rate limit in bytes per second; 0 is unlimited.")
    private long syncRate;

    @Option(names = "--cache-bytes", paramLabel = "SIZE", defaultValue = "256MiB", converter = SizeConverter.class,
            description = "Cache memory for hot clusters, in bytes (KiB, MiB, GiB accepted), allocated off the heap "
                    + "at start; at most half the direct memory limit (-XX:MaxDirectMemorySize, CFS_DIRECT_MEMORY) "
                    + "is used; 0 disables it.")
    private long cacheBytes;

    @Option(names = "--volume-bandwidth", paramLabel = "BYTES_PER_SEC", defaultValue = "0",
            converter = SizeConverter.class,
            description = "Disk bytes read and written per volume per second (KiB, MiB accepted), for benchmarks; "
                    + "reads served from the cache are not limited; 0 is unlimited.")
    private long volumeBandwidth;

    @Option(names = "--heartbeat-ms", paramLabel = "MILLIS", defaultValue = "1000",
            description = "How often to report to the metadata server, in milliseconds.")
    private long heartbeatMillis;

    @Option(names = "--mirror-lease-ms", paramLabel = "MILLIS",
            defaultValue = "3000",
            description = "The read lease this storage system grants each mirror of its masters on another storage "
                    + "system, in milliseconds (default ${DEFAULT-VALUE}): a write that cannot tell such a mirror its "
                    + "clusters went stale is held until the mirror's lease has expired, about 1.7 times this at "
                    + "most.")
    private long mirrorLeaseMillis;

    private final PrintWriter err;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private BlockStoreMain(PrintWriter err) {
        this.err = err;
    }

    public static void main(String... args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the daemon; returns when it was stopped by SIGTERM (0) or could not start (1, 2). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new BlockStoreMain(err));
        cmd.setOut(out);
        cmd.setErr(err);
        return cmd.execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (ioThreads < 1 || syncRate < 0) {
            err.println("block-store: --io-threads must be at least 1 and --sync-rate at least 0");
            return BAD_CONFIG;
        }
        if (heartbeatMillis < 1) {
            err.println("block-store: --heartbeat-ms " + heartbeatMillis + ": expected at least 1");
            return BAD_CONFIG;
        }
        Topology topology;
        StorageId self;
        ClusterCredentials credentials;
        try {
            topology = Topology.load(config);
            credentials = ClusterCredentials.load(topology);
            self = new StorageId(id);
        } catch (TopologyException e) {
            err.println("block-store: " + e.getMessage());
            return BAD_CONFIG;
        } catch (IOException e) {
            err.println("block-store: cannot read topology " + config + ": " + e);
            return BAD_CONFIG;
        } catch (IllegalArgumentException e) {
            err.println("block-store: --id: " + e.getMessage());
            return BAD_CONFIG;
        }
        if (!topology.storages().containsKey(self)) {
            err.println("block-store: storage system " + self + " is not in " + config + ": expected one of "
                    + topology.storages().keySet());
            return BAD_CONFIG;
        }
        BlockStore store;
        MetricsServer metrics = null;
        try {
            BlockStoreOptions options = BlockStoreOptions.defaults().withIoThreads(ioThreads)
                    .withSyncRate(syncRate).withCacheBytes(cacheBytes).withVolumeBandwidth(volumeBandwidth)
                    .withHeartbeat(Duration.ofMillis(heartbeatMillis))
                    .withMirrorLease(Duration.ofMillis(mirrorLeaseMillis));
            Optional<InetSocketAddress> metricsAddress = topology.storage(self).metrics();
            if (metricsAddress.isPresent()) {
                metrics = MetricsServer.start(metricsAddress.get(), "block-store", self.value());
                options = options.withMetrics(metrics.registry());
            }
            store = BlockStore.start(topology, self, credentials, options);
        } catch (IOException | RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            err.println("block-store " + self + " failed to start: " + e.getMessage());
            return START_FAILED;
        }
        MetricsServer metricsServer = metrics;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            store.close();
            if (metricsServer != null) {
                metricsServer.close();
            }
            stopped.countDown();
        }, "block-store-shutdown"));
        stopped.await();
        return 0;
    }

    /** Reads {@code 512}, {@code 64KiB}, {@code 256MiB} (see {@link TopologyParser#parseSize}). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return TopologyParser.parseSize(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }
    }
}
