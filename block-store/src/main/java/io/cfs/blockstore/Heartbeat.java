package io.cfs.blockstore;

import io.cfs.blockstore.mirror.Futures;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.StorageId;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The STORAGE_HEARTBEAT a storage system sends the metadata server every {@code interval}: its
 * id, cache counters and the resync state of the mirrors of its masters. It runs on its own event
 * loop thread, so a metadata server that is down, slow or does not understand heartbeats never
 * holds up volume I/O. At most one heartbeat is in flight: while one waits for its answer (at most
 * the RPC timeout) the next ones are skipped. A failure is logged once per outage (WARN) and the
 * recovery once (INFO).
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

    private final StorageId self;
    private final String target;
    private final Duration interval;
    private final Supplier<StorageHeartbeatRequest> status;
    private final Function<StorageHeartbeatRequest, CompletableFuture<?>> transport;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private final Runnable onClose;
    private volatile boolean closed;
    /** Guarded by this. */
    private boolean failing;
    /** Guarded by this: failed heartbeats in the current outage. */
    private long failures;
    /** Guarded by this. */
    private long accepted;

    /**
     * @param target    how to name the metadata server in the log
     * @param status    what to report now (called once per heartbeat sent)
     * @param transport sends a heartbeat; its future completes when the metadata server accepted it
     * @param onClose   releases what the transport holds
     */
    Heartbeat(StorageId self, String target, Duration interval, Supplier<StorageHeartbeatRequest> status,
              Function<StorageHeartbeatRequest, CompletableFuture<?>> transport, Runnable onClose) {
        this.self = self;
        this.target = target;
        this.interval = interval;
        this.status = status;
        this.transport = transport;
        this.onClose = onClose;
    }

    /**
     * Starts sending heartbeats to the metadata server at {@code address} every {@code interval},
     * over one connection on one event loop thread of its own.
     */
    static Heartbeat start(StorageId self, InetSocketAddress address, Duration interval, Duration timeout,
                           ClusterCredentials credentials, Supplier<StorageHeartbeatRequest> status) {
        EventLoopGroup group = Transport.newEventLoopGroup(self + "-heartbeat", 1);
        RpcClient client = new RpcClient(self + "->metadata", address, group, credentials, timeout);
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        Heartbeat heartbeat = new Heartbeat(self, "the metadata server at " + address.getHostString() + ":"
                + address.getPort(), interval, status,
                beat -> client.call(beat).thenApply(reply -> client.expect(reply, OkReply.class)), () -> {
                    task[0].cancel(false);
                    client.close();
                    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                });
        long period = interval.toNanos();
        task[0] = group.next().scheduleAtFixedRate(heartbeat::beat, 0, period, TimeUnit.NANOSECONDS);
        return heartbeat;
    }

    /** Sends one heartbeat, unless the previous one is still waiting for its answer. */
    void beat() {
        if (closed || !inFlight.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<?> reply;
        try {
            reply = transport.apply(status.get());
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((ok, error) -> {
            answered(error);
            inFlight.set(false);
        });
    }

    private synchronized void answered(Throwable error) {
        if (closed) {
            return; // a heartbeat cut short by the shutdown is no outage
        }
        if (error == null) {
            accepted++;
            if (failing) {
                failing = false;
                log.info("block-store {}: {} accepts heartbeats again ({} failed meanwhile)", self, target, failures);
            }
            failures = 0;
            return;
        }
        failures++;
        if (!failing) {
            failing = true;
            log.warn("block-store {}: heartbeat to {} failed: {}; volumes are served as usual, retrying every {} ms "
                    + "(logged once until it accepts one)", self, target, Futures.describe(error), interval.toMillis());
        }
    }

    /** Whether the last heartbeat answered failed. */
    synchronized boolean failing() {
        return failing;
    }

    /** Heartbeats the metadata server accepted. */
    synchronized long accepted() {
        return accepted;
    }

    @Override
    public void close() {
        closed = true;
        onClose.run();
    }
}
