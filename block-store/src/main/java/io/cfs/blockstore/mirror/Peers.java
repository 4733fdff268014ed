package io.cfs.blockstore.mirror;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.StorageId;
import io.cfs.topology.StorageSpec;
import io.cfs.topology.Topology;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The connections of this storage system to the others: one pipelined {@link RpcClient} per peer,
 * created on first use, all on one event loop group. Requests to one peer share one FIFO
 * connection, which the mirroring relies on for ordering. At most one client per storage system of
 * the topology.
 */
public final class Peers implements AutoCloseable {
    private final StorageId self;
    private final Topology topology;
    private final Duration timeout;
    private final ClusterCredentials credentials;
    private final EventLoopGroup group;
    private final Map<StorageId, RpcClient> clients = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public Peers(StorageId self, Topology topology, ClusterCredentials credentials, Duration timeout, int threads) {
        this.self = self;
        this.credentials = credentials;
        this.topology = topology;
        this.timeout = timeout;
        this.group = Transport.newEventLoopGroup(self + "-peers", threads);
    }

    /**
     * Sends a request to a peer and checks the type of its reply (a reply of another type is
     * released and fails the call). Data of a {@link DataMessage} request is owned by the call from
     * here on; a {@link DataMessage} reply must be released by the caller.
     */
    public <T extends Message> CompletableFuture<T> call(StorageId peer, Message request, Class<T> replyType) {
        RpcClient client;
        try {
            client = client(peer);
        } catch (RuntimeException e) {
            if (request instanceof DataMessage d) {
                ReferenceCountUtil.release(d.data());
            }
            return CompletableFuture.failedFuture(e);
        }
        return client.call(request).thenApply(reply -> client.expect(reply, replyType));
    }

    /**
     * Whether {@code peer}'s address refuses a TCP connection now (its host answers, nothing
     * listens): its process is not running. False if it accepts, does not answer within {@code
     * timeoutMillis} or cannot be reached. Blocks.
     */
    public boolean refusesConnections(StorageId peer, int timeoutMillis) {
        InetSocketAddress address = addressOf(peer);
        try (Socket socket = new Socket()) {
            socket.connect(address, timeoutMillis);
            return false;
        } catch (ConnectException e) {
            // ECONNREFUSED only: "timed out", "unreachable" say nothing of the process
            return String.valueOf(e.getMessage()).contains("Connection refused");
        } catch (IOException e) {
            return false;
        }
    }

    private InetSocketAddress addressOf(StorageId peer) {
        StorageSpec spec = topology.storage(peer);
        return new InetSocketAddress(spec.address().getHostString(), spec.address().getPort());
    }

    private RpcClient client(StorageId peer) {
        if (closed) {
            throw new CfsException(ErrorCode.UNAVAILABLE, self + " is shutting down: not calling " + peer);
        }
        if (peer.equals(self)) {
            throw new IllegalArgumentException(self + " asked to call itself");
        }
        return clients.computeIfAbsent(peer, id -> new RpcClient(self + "->" + id, addressOf(id), group, credentials,
                timeout));
    }

    @Override
    public void close() {
        closed = true;
        clients.values().forEach(RpcClient::close);
        clients.clear();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
