package io.cfs.mount.client;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.FlushRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's path to the storage systems: reads from a pair member (failing over to the other
 * members when its storage system is down), writes to the master, flushes. One pipelined
 * connection per storage system of the topology.
 */
final class BlockIo implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockIo.class);

    private final Map<StorageId, RpcClient> storages = new HashMap<>();
    private final Outages outages = new Outages();

    BlockIo(Topology topology, EventLoopGroup group, ClusterCredentials credentials, Duration timeout) {
        for (var ss : topology.storages().values()) {
            storages.put(ss.id(), new RpcClient("client->" + ss.id(), ss.address(), group, credentials, timeout));
        }
    }

    private RpcClient to(VolumeAddress volume) {
        return storages.get(volume.storage());
    }

    /** Starts a read of a pair's volumes, preferring member {@code member}; completes with the bytes. */
    CompletableFuture<ByteBuf> read(PairSpec pair, int member, long volumeOffset, int length) {
        CompletableFuture<ByteBuf> result = new CompletableFuture<>();
        readFrom(pair, member, 0, volumeOffset, length, result, null);
        return result;
    }

    private void readFrom(PairSpec pair, int first, int attempt, long offset, int length,
                          CompletableFuture<ByteBuf> result, CfsException lastError) {
        int members = pair.mirrors().size() + 1;
        if (attempt == members) {
            result.completeExceptionally(new CfsException(ErrorCode.IO_ERROR, "no member of pair " + pair.id()
                    + " could serve " + length + " bytes at " + offset + ": " + lastError.getMessage(), lastError));
            return;
        }
        VolumeAddress volume = pair.member((first + attempt) % members);
        to(volume).call(new ReadDataRequest(volume.volume(), offset, length)).whenComplete((reply, error) -> {
            if (error == null) {
                if (outages.answered(volume.storage())) {
                    log.info("storage system {} serves reads again", volume.storage());
                }
                try {
                    result.complete(to(volume).expect(reply, DataReply.class).data());
                } catch (CfsException e) {
                    result.completeExceptionally(e);
                }
                return;
            }
            CfsException e = cause(error);
            if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.IO_ERROR) {
                if (outages.failed(volume.storage())) {
                    log.warn("read of {} at {} failed ({}); reads fail over to the other members of its pairs"
                            + " (logged once until it answers again)", volume, offset, e.getMessage());
                } else {
                    log.debug("read of {} at {} failed ({}); trying the next member of pair {}", volume, offset,
                            e.getMessage(), pair.id());
                }
                readFrom(pair, first, attempt + 1, offset, length, result, e);
            } else {
                result.completeExceptionally(e);
            }
        });
    }

    /** Starts a write to a pair's master volume; owns {@code data}. */
    CompletableFuture<Message> write(PairSpec pair, long volumeOffset, ByteBuf data) {
        VolumeAddress master = pair.master();
        return to(master).call(new WriteDataRequest(master.volume(), volumeOffset, data));
    }

    /** Makes every acknowledged write of these master volumes durable. */
    void flush(Iterable<VolumeAddress> volumes) {
        List<CompletableFuture<Message>> calls = new java.util.ArrayList<>();
        for (VolumeAddress v : volumes) {
            calls.add(to(v).call(new FlushRequest(v.volume())));
        }
        for (var call : calls) {
            await(call, OkReply.class);
        }
    }

    /** Waits for a call and checks its reply type; failures become CfsException. */
    static <T> T await(CompletableFuture<? extends Message> call, Class<T> type) {
        try {
            Message m = call.get();
            if (!type.isInstance(m)) {
                throw new CfsException(ErrorCode.IO_ERROR, "unexpected reply " + m.opcode() + ": expected "
                        + type.getSimpleName());
            }
            return type.cast(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CfsException(ErrorCode.IO_ERROR, "interrupted");
        } catch (ExecutionException e) {
            throw cause(e.getCause());
        }
    }

    static CfsException cause(Throwable error) {
        Throwable t = error;
        while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof CfsException c ? c : new CfsException(ErrorCode.IO_ERROR, String.valueOf(t), t);
    }

    @Override
    public void close() {
        storages.values().forEach(RpcClient::close);
    }
}
