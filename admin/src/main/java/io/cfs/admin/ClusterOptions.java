package io.cfs.admin;

import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** The options every admin command shares: which cluster, and how long to wait for it. */
final class ClusterOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "cluster topology file (default: $CFS_CONFIG, else ./local-cluster/cluster.conf)")
    Path config;

    @Option(names = "--rpc-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "longest wait for any daemon's answer")
    long rpcTimeoutSeconds;

    Path configFile() {
        if (config != null) {
            return config;
        }
        String env = System.getenv("CFS_CONFIG");
        return env != null && !env.isEmpty() ? Path.of(env) : Path.of("local-cluster/cluster.conf");
    }

    /** Connections to the metadata server and the storage systems of one cluster. */
    Cluster connect() throws IOException, TopologyException {
        Path file = configFile();
        if (!Files.exists(file)) {
            throw new IOException("topology file " + file + " does not exist: pass --config FILE or set CFS_CONFIG");
        }
        Topology topology = Topology.load(file);
        return new Cluster(topology, ClusterCredentials.load(topology), Duration.ofSeconds(rpcTimeoutSeconds));
    }

    static final class Cluster implements AutoCloseable {
        final Topology topology;
        final RpcClient meta;
        private final EventLoopGroup group = Transport.newEventLoopGroup("cfs-admin", 1);
        private final Map<StorageId, RpcClient> storages = new HashMap<>();
        private final ClusterCredentials credentials;
        private final Duration timeout;

        Cluster(Topology topology, ClusterCredentials credentials, Duration timeout) {
            this.topology = topology;
            this.credentials = credentials;
            this.timeout = timeout;
            this.meta = new RpcClient("admin->meta", topology.metadata().address(), group, credentials, timeout);
        }

        RpcClient storage(StorageId id) {
            return storages.computeIfAbsent(id, k -> new RpcClient("admin->" + k, topology.storage(k).address(), group,
                    credentials, timeout));
        }

        @Override
        public void close() {
            meta.close();
            storages.values().forEach(RpcClient::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
