package io.cfs.meta;

import io.cfs.meta.journal.Journal;
import io.cfs.meta.journal.OperationCodec;
import io.cfs.meta.namespace.Namespace;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.Listen;
import io.cfs.protocol.rpc.RpcServer;
import io.cfs.topology.DataFolder;
import io.cfs.topology.Topology;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata server (the seed's CFS server): loads its newest snapshot and replays the journal
 * after it into memory, then serves the metadata requests over {@link RpcServer} to clients that
 * hold the cluster secret.
 */
public final class MetadataServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataServer.class);

    private final String id;
    private final MetadataService service;
    private final RpcServer rpc;
    private final long snapshot;
    private final long replayed;
    private boolean closed;

    private MetadataServer(String id, MetadataService service, RpcServer rpc, long snapshot, long replayed) {
        this.id = id;
        this.service = service;
        this.rpc = rpc;
        this.snapshot = snapshot;
        this.replayed = replayed;
    }

    /**
     * Loads the snapshot and replays the journal of the data folder, and starts serving.
     *
     * @throws IOException a snapshot or journal that cannot be read or is corrupt, or an address
     *                     that cannot be bound; the message says which and why
     */
    public static MetadataServer start(Topology topology, ClusterCredentials credentials, MetadataOptions options)
            throws IOException {
        Path data = options.dataDir() != null ? options.dataDir() : topology.metadata().data();
        InetSocketAddress configured = options.listen() != null ? options.listen() : topology.metadata().address();
        InetSocketAddress listen = new InetSocketAddress(configured.getHostString(), configured.getPort());
        if (listen.isUnresolved()) {
            throw new IOException("cannot listen on " + configured.getHostString() + ":" + configured.getPort()
                    + ": unknown host");
        }
        DataFolder.prepare(data, topology.origins().metadata());
        MeterRegistry metrics = options.metrics() != null ? options.metrics() : new SimpleMeterRegistry();
        Journal journal = Journal.open(data.resolve("journal"), options.clock(),
                new OperationCodec(topology.pairs().keySet()));
        MetadataService service;
        long snapshot;
        long replayed;
        try {
            Namespace namespace = journal.recover(topology);
            snapshot = journal.snapshotIndex();
            replayed = journal.replayed();
            service = new MetadataService(options, topology, namespace, journal, metrics);
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
        try {
            int freed = service.start();
            if (freed > 0) {
                log.info("freed {} files that were unlinked while open before the restart", freed);
            }
        } catch (RuntimeException e) {
            service.close();
            throw new IOException("cannot free the files unlinked while open before the restart: " + e.getMessage(), e);
        }
        RpcServer rpc;
        try {
            rpc = RpcServer.start(options.id(), listen, options.ioThreads(), credentials, service, metrics);
        } catch (Exception e) {
            service.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException(Listen.failure(describe(listen), topology.origins().metadata(), e), e);
        }
        MetadataServer server = new MetadataServer(options.id(), service, rpc, snapshot, replayed);
        log.info("metadata server serving on {} (pairs {}; {}, replayed {} journal records after it; lease {} ms,"
                        + " storage timeout {} ms, a snapshot every {} records)", describe(server.address()),
                topology.sortedPairs().stream().map(p -> p.id().value()).collect(Collectors.joining(", ")),
                snapshot == 0 ? "no snapshot" : "loaded the snapshot at record " + snapshot, replayed,
                options.lease().toMillis(), options.storageTimeout().toMillis(), options.snapshotEvery());
        return server;
    }

    private static String describe(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    /** The bound address (with the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return rpc.address();
    }

    /** How many journal records the start replayed after the snapshot it loaded. */
    public long replayedRecords() {
        return replayed;
    }

    /** The index of the snapshot the start loaded (0: none). */
    public long snapshotIndex() {
        return snapshot;
    }

    /** Runs the lease and storage heartbeat check now (it also runs periodically), for tests that move the clock. */
    void check() {
        service.check();
    }

    /** Stops serving, lets the journal write and apply what is queued, writes a snapshot and closes the journal. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        rpc.close();
        try {
            service.close();
        } catch (IOException e) {
            log.warn("metadata server {}: closing the journal failed: {}", id, e.toString());
        }
        log.info("metadata server {} stopped", id);
    }
}
