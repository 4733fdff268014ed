package io.cfs.mount.fuse;

import io.cfs.blockstore.BlockStore;
import io.cfs.blockstore.BlockStoreOptions;
import io.cfs.meta.MetadataOptions;
import io.cfs.meta.MetadataServer;
import io.cfs.mount.client.Caller;
import io.cfs.mount.client.CfsClient;
import io.cfs.mount.client.ClientOptions;
import io.cfs.protocol.FreePorts;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.LocateReply;
import io.cfs.protocol.message.LocateRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.SetPairRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A metadata server and two storage systems in this JVM, on free loopback ports, with their data
 * under a test's folder. Pair {@code sync} is mastered on ss1 with a mirror on ss1 (same storage
 * system) and one on ss2; pair {@code async} is mastered on ss2 with its mirror on ss1. Directories
 * {@code /sync} and {@code /async} are pinned to them. Small volumes: 64 MiB, blocks of 1 MiB,
 * clusters of 64 KiB.
 */
final class InProcessCluster implements AutoCloseable {
    static final int BLOCK = 1 << 20;
    static final long VOLUME = 64L << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** Names and attributes cached as a mount caches them: another host's change shows through the server's notices. */
    static final ClientOptions OPTIONS = new ClientOptions(TIMEOUT, 1 << 20, 1 << 20,
            ClientOptions.DEFAULTS.attrTtl());
    static final PairId SYNC = new PairId("sync");
    static final PairId ASYNC = new PairId("async");

    final Path dir;
    final Topology topology;
    final ClusterCredentials credentials;
    private final MetadataOptions metaOptions = MetadataOptions.defaults();
    /**
     * A mirror read lease well within the request timeout: a write that cannot tell a stopped mirror
     * its clusters went stale is held until the mirror's lease has expired (the default 3 s would
     * outlast the clients' 2 s).
     */
    private final BlockStoreOptions storeOptions = BlockStoreOptions.defaults()
            .withPeerTimeout(TIMEOUT).withCacheBytes(8 << 20).withHeartbeat(Duration.ofMillis(500))
            .withMirrorLease(Duration.ofMillis(600));
    private MetadataServer meta;
    private final Map<String, BlockStore> stores = new LinkedHashMap<>();
    private final List<AutoCloseable> clients = new ArrayList<>();
    private final EventLoopGroup group = Transport.newEventLoopGroup("test-admin", 1);
    private final RpcClient admin;

    InProcessCluster(Path dir) throws Exception {
        this(dir, "");
    }

    /** @param clusterSettings more settings for the topology's cluster line (e.g. {@code idle-timeout=1s}) */
    InProcessCluster(Path dir, String clusterSettings) throws Exception {
        this.dir = dir;
        Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "the secret of the in-process clusters\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path file = dir.resolve("cluster.conf");
        Files.writeString(file, String.join("\n",
                "cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret " + clusterSettings,
                "metadata address=127.0.0.1:" + FreePorts.next() + " data=meta",
                "storage  ss1 address=127.0.0.1:" + FreePorts.next() + " data=ss1",
                "storage  ss2 address=127.0.0.1:" + FreePorts.next() + " data=ss2",
                "volume   ss1:v1 capacity=64MiB",
                "volume   ss1:v2 capacity=64MiB",
                "volume   ss2:v1 capacity=64MiB",
                "volume   ss2:v2 capacity=64MiB",
                "volume   ss1:v3 capacity=64MiB",
                "pair     sync  mode=sync  master=ss1:v1 mirrors=ss1:v2,ss2:v1",
                "pair     async mode=async master=ss2:v2 mirrors=ss1:v3",
                ""));
        topology = Topology.load(file);
        credentials = ClusterCredentials.load(topology);
        try {
            meta = MetadataServer.start(topology, credentials, metaOptions);
            startStorage("ss1");
            startStorage("ss2");
            admin = new RpcClient("test->meta", topology.metadata().address(), group, credentials,
                    Duration.ofSeconds(10));
            try (CfsClient c = new CfsClient(topology, credentials, OPTIONS, Clock.systemUTC(), "setup")) {
                for (String top : List.of("/sync", "/async")) { // the tests' caller works in them
                    c.mkdir(Caller.ROOT, top, 0755);
                    c.chown(Caller.ROOT, top, Fuse.UID, Fuse.GID);
                }
                admin.call(new SetPairRequest(c.getattr(Caller.ROOT, "/sync").inode(), SYNC), OkReply.class);
                admin.call(new SetPairRequest(c.getattr(Caller.ROOT, "/async").inode(), ASYNC), OkReply.class);
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }


    /** A new client (another host), closed with the cluster. */
    CfsClient client(String host) {
        return client(host, OPTIONS, Clock.systemUTC());
    }

    /** A new client (another host) with its own options and clock, closed with the cluster. */
    CfsClient client(String host, ClientOptions options, Clock clock) {
        CfsClient c = new CfsClient(topology, credentials, options, clock, host);
        clients.add(c);
        return c;
    }

    /** The FUSE driver over a new client, closed with the cluster. */
    Fuse fuse(String host) {
        return new Fuse(client(host), topology.blockSize());
    }

    /** The FUSE driver of a read-only mount ({@code -o ro}) over a new client, closed with the cluster. */
    Fuse readOnlyFuse(String host) {
        return new Fuse(client(host), topology.blockSize(), true);
    }

    void startStorage(String ss) throws Exception {
        stores.put(ss, BlockStore.start(topology, new StorageId(ss), credentials, storeOptions));
    }

    /** Stops a storage system as a crash would look to its clients: its port refuses connections. */
    void stopStorage(String ss) {
        BlockStore s = stores.remove(ss);
        if (s != null) {
            s.close();
        }
    }

    int port(String ss) {
        return topology.storage(new StorageId(ss)).address().getPort();
    }

    /** Closes the metadata server and starts it again on the same folder and port. */
    void restartMetadata() throws IOException {
        meta.close();
        meta = MetadataServer.start(topology, credentials, metaOptions);
    }

    /** The extents of a file as the metadata server has them. */
    List<Extent> extents(long inode) {
        return admin.call(new LocateRequest(inode), LocateReply.class).extents();
    }

    @Override
    public void close() {
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        if (admin != null) {
            admin.close();
        }
        stores.values().forEach(BlockStore::close);
        stores.clear();
        if (meta != null) {
            meta.close();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
