package io.cfs.blockstore;

import io.cfs.blockstore.VolumeRole.LocalMirror;
import io.cfs.blockstore.VolumeRole.Master;
import io.cfs.blockstore.VolumeRole.RemoteMirror;
import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.blockstore.mirror.MasterPair;
import io.cfs.blockstore.mirror.MirrorReplica;
import io.cfs.blockstore.volume.Bandwidth;
import io.cfs.blockstore.volume.Volume;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.ChecksumReply;
import io.cfs.protocol.message.ChecksumRequest;
import io.cfs.protocol.message.CountInvalidRequest;
import io.cfs.protocol.message.CountReply;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.FlushRequest;
import io.cfs.protocol.message.InvalidateRequest;
import io.cfs.protocol.message.LeaseReply;
import io.cfs.protocol.message.MarkInvalidRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.MirrorBitmapRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.RenewLeaseRequest;
import io.cfs.protocol.message.ReplicaWriteRequest;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.protocol.rpc.RequestHandler;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the requests of one storage system. Runs on the Netty event loop and hands every disk
 * access to the disk executor; replies are futures. A read whose clusters are all in the cache
 * memory is answered right here, without a disk thread and without waiting for the volume's
 * bandwidth limit; other client reads and writes wait for their volume's {@link Bandwidth} (taking
 * no thread) before they go to the disk executor. Replica writes and invalidations are queued on
 * their mirror's ordered executor right here, so that they keep the order they arrived in on their
 * connection. Every request carrying data is released exactly once, whatever happens.
 */
final class RequestDispatcher implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final OkReply OK = new OkReply();

    private final StorageId self;
    private final Topology topology;
    private final Map<VolumeId, VolumeRole> roles;
    private final Map<PairId, MasterPair> masters;
    private final Executor disk;
    private final ClusterCache cache;

    RequestDispatcher(StorageId self, Topology topology, Map<VolumeId, VolumeRole> roles,
                      Map<PairId, MasterPair> masters, Executor disk, ClusterCache cache) {
        this.self = self;
        this.topology = topology;
        this.roles = Map.copyOf(roles);
        this.masters = Map.copyOf(masters);
        this.disk = disk;
        this.cache = cache;
    }

    @Override
    public CompletionStage<? extends Message> handle(Channel channel, Message request) {
        return dispatch(channel, request).thenApply(reply -> {
            // RpcServer cannot release the data of a reply it fails to write (the envelope is not
            // reference counted): do not hand it data for a connection that is already gone.
            if (reply instanceof DataMessage d && !channel.isActive()) {
                d.data().release();
                throw new CfsException(ErrorCode.UNAVAILABLE, "connection closed before the reply");
            }
            return reply;
        });
    }

    private CompletableFuture<? extends Message> dispatch(Channel channel, Message request) {
        try {
            if (request instanceof ReadDataRequest r) {
                return read(channel.alloc(), r);
            } else if (request instanceof WriteDataRequest w) {
                return write(w);
            } else if (request instanceof ReplicaWriteRequest w) {
                return replicaWrite(w);
            } else if (request instanceof InvalidateRequest i) {
                return invalidate(i);
            } else if (request instanceof FlushRequest f) {
                return flush(f);
            } else if (request instanceof MirrorBitmapRequest b) {
                return mirrorBitmap(channel.alloc(), b);
            } else if (request instanceof RenewLeaseRequest l) {
                // Right here, not on a disk thread: in order with a MIRROR_BITMAP after it on the connection.
                return CompletableFuture.completedFuture(new LeaseReply(
                        masterPair(l.pair(), "for a read lease").renewLease(l.member())));
            } else if (request instanceof VolumeInfoRequest v) {
                return CompletableFuture.completedFuture(volumeInfo(v));
            } else if (request instanceof ChecksumRequest c) {
                return checksums(c);
            } else if (request instanceof CountInvalidRequest c) {
                return countInvalid(c);
            } else if (request instanceof MarkInvalidRequest m) {
                return markInvalid(m);
            }
            if (request instanceof DataMessage d) {
                ReferenceCountUtil.release(d.data());
            }
            throw new CfsException(ErrorCode.UNSUPPORTED, "block-store " + self + " does not serve "
                    + request.opcode() + ": expected READ_DATA, WRITE_DATA, FLUSH, VOLUME_INFO, REPLICA_WRITE, "
                    + "INVALIDATE, MIRROR_BITMAP, RENEW_LEASE, CHECKSUMS, COUNT_INVALID or MARK_INVALID");
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(shuttingDown());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<Message> read(ByteBufAllocator alloc, ReadDataRequest r) {
        VolumeRole role = role(r.volume());
        Volume volume = role.volume();
        volume.checkRange(r.offset(), r.length());
        if (cache.enabled()) {
            ByteBuf cached = readFromCache(role, alloc, r.offset(), r.length());
            if (cached != null) {
                cache.recordHits(volume.clustersTouched(r.offset(), r.length()));
                return CompletableFuture.completedFuture(new DataReply(cached));
            }
        }
        return onDiskWithin(volume.bandwidth(), r.length(), () -> {
            if (role instanceof LocalMirror m) {
                return CompletableFuture.completedFuture(m.pair().readMirror(m.link(), alloc, r.offset(), r.length()));
            } else if (role instanceof RemoteMirror m) {
                return m.replica().read(alloc, r.offset(), r.length());
            }
            return CompletableFuture.completedFuture(volume.readCached(alloc, r.offset(), r.length()));
        }, null).thenApply(DataReply::new);
    }

    /** The bytes of a read if the cache memory holds all of them (after Check Invalid), else null. */
    private static ByteBuf readFromCache(VolumeRole role, ByteBufAllocator alloc, long offset, int length) {
        if (role instanceof LocalMirror m) {
            return m.pair().readMirrorFromCache(m.link(), alloc, offset, length);
        } else if (role instanceof RemoteMirror m) {
            return m.replica().readFromCache(alloc, offset, length);
        }
        ByteBuf buf = alloc.directBuffer(length, length);
        if (!role.volume().copyCached(buf, 0, offset, length)) {
            buf.release();
            return null;
        }
        return buf.writerIndex(length);
    }

    private CompletableFuture<Message> write(WriteDataRequest w) {
        ByteBuf data = w.data();
        MasterPair pair;
        try {
            pair = masterOf(w.volume());
            pair.master().checkRange(w.offset(), data.readableBytes());
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        return onDiskWithin(pair.master().bandwidth(), data.readableBytes(), () -> pair.write(w.offset(), data), data)
                .thenApply(v -> OK);
    }

    private CompletableFuture<Message> replicaWrite(ReplicaWriteRequest w) {
        MirrorReplica replica;
        try {
            replica = remoteMirror(w.volume(), "replica writes");
        } catch (RuntimeException e) {
            w.data().release();
            throw e;
        }
        return replica.replicaWrite(w.offset(), w.data()).thenApply(v -> OK);
    }

    private CompletableFuture<Message> invalidate(InvalidateRequest i) {
        return remoteMirror(i.volume(), "invalidations").invalidate(i.firstCluster(), i.count()).thenApply(v -> OK);
    }

    private CompletableFuture<Message> flush(FlushRequest f) {
        VolumeRole role = role(f.volume());
        return onDisk(() -> {
            if (role instanceof Master m) {
                return m.pair().flush();
            } else if (role instanceof LocalMirror m) {
                m.link().local().force();
                m.link().row().force();
            } else if (role instanceof RemoteMirror m) {
                m.replica().force();
            } else {
                role.volume().force();
            }
            return CompletableFuture.completedFuture(null);
        }, null).thenApply(v -> OK);
    }

    private CompletableFuture<Message> mirrorBitmap(ByteBufAllocator alloc, MirrorBitmapRequest b) {
        MasterPair pair = masterPair(b.pair(), "for its Bitmap Table");
        MasterPair.MirrorLink link = pair.mirror(b.member());
        return onDisk(() -> {
            if (!link.isLocal()) {
                // Before the row is read: every cluster whose invalidation failed before is in it.
                link.lease().resynced();
            }
            if (b.fresh()) {
                // Before the answer, so the mirror never trusts a cluster the Sync Daemon will not push.
                pair.markWrittenInvalid(link);
                log.info("pair {}: mirror {} was created empty: its {} written clusters are marked for copying "
                        + "({} invalid clusters for it)", b.pair(), link.address(), pair.writtenClusters(),
                        link.row().cardinality());
            }
            byte[] bits = link.row().toByteArray();
            if (bits.length > MessageCodec.MAX_DATA) {
                throw new CfsException(ErrorCode.UNSUPPORTED, "the Bitmap Table row of mirror " + link.address()
                        + " is " + bits.length + " bytes: more than one reply carries (" + MessageCodec.MAX_DATA + ")");
            }
            ByteBuf out = alloc.buffer(bits.length, bits.length);
            out.writeBytes(bits);
            return CompletableFuture.completedFuture((Message) new DataReply(out));
        }, null);
    }

    private CompletableFuture<Message> checksums(ChecksumRequest c) {
        Volume volume = role(c.volume()).volume();
        return onDisk(() -> CompletableFuture.completedFuture(
                new ChecksumReply(Arrays.stream(volume.checksums(c.firstCluster(), c.count())).boxed().toList())), null);
    }

    private CompletableFuture<Message> countInvalid(CountInvalidRequest c) {
        MasterPair pair = masterPair(c.pair(), "how many clusters of a mirror are invalid");
        return onDisk(() -> CompletableFuture.completedFuture(
                new CountReply(pair.countInvalid(c.member(), c.offset(), c.length()))), null);
    }

    private CompletableFuture<Message> markInvalid(MarkInvalidRequest m) {
        MasterPair pair = masterPair(m.pair(), "to mark clusters of a mirror invalid");
        return onDisk(() -> pair.markInvalid(m.member(), m.firstCluster(), m.count()), null).thenApply(v -> OK);
    }

    /** The pair whose master is here; {@code ask}: what to ask the master's storage system, for the error. */
    private MasterPair masterPair(PairId id, String ask) {
        MasterPair pair = masters.get(id);
        if (pair != null) {
            return pair;
        }
        PairSpec spec = topology.pairs().get(id);
        if (spec == null) {
            throw new CfsException(ErrorCode.NOT_FOUND, "pair " + id + " is not in the topology: expected one of "
                    + new TreeSet<>(topology.pairs().keySet().stream().map(PairId::value).toList()));
        }
        throw new CfsException(ErrorCode.NOT_MASTER, "the master of pair " + id + " is " + spec.master()
                + ", not on " + self + ": ask " + spec.master().storage() + " " + ask);
    }

    private VolumeInfoReply volumeInfo(VolumeInfoRequest v) {
        VolumeRole role = role(v.volume());
        long invalid;
        if (role instanceof Master m) {
            invalid = m.pair().invalidClusters();
        } else if (role instanceof LocalMirror m) {
            invalid = m.link().row().cardinality();
        } else if (role instanceof RemoteMirror m) {
            invalid = m.replica().invalidClusters();
        } else {
            invalid = 0;
        }
        return new VolumeInfoReply(role.volume().capacity(), invalid);
    }

    private VolumeRole role(VolumeId volume) {
        VolumeRole role = roles.get(volume);
        if (role == null) {
            throw new CfsException(ErrorCode.UNKNOWN_VOLUME, "storage system " + self + " holds no volume " + volume
                    + ": expected one of " + new TreeSet<>(roles.keySet().stream().map(VolumeId::value).toList()));
        }
        return role;
    }

    private MasterPair masterOf(VolumeId volume) {
        VolumeRole role = role(volume);
        if (role instanceof Master m) {
            return m.pair();
        }
        throw new CfsException(ErrorCode.NOT_MASTER, "volume " + volume + " on " + self + " is " + describe(role)
                + ": writes go to a pair's master volume");
    }

    private MirrorReplica remoteMirror(VolumeId volume, String what) {
        VolumeRole role = role(volume);
        if (role instanceof RemoteMirror m) {
            return m.replica();
        }
        throw new CfsException(ErrorCode.INVALID_ARGUMENT, "volume " + volume + " on " + self + " is " + describe(role)
                + ": " + what + " go to a mirror whose master is on another storage system");
    }

    private static String describe(VolumeRole role) {
        if (role instanceof Master m) {
            return "the master of pair " + m.pair().spec().id();
        } else if (role instanceof LocalMirror m) {
            return "mirror " + m.link().member() + " of pair " + m.pair().spec().id() + " (master "
                    + m.pair().spec().master() + ")";
        } else if (role instanceof RemoteMirror m) {
            return "mirror " + m.replica().member() + " of pair " + m.replica().pair().id() + " (master "
                    + m.replica().pair().master() + ")";
        }
        return "in no pair";
    }

    /** Disk work that may block; {@code owned} (if any) is released should the work never run. */
    @FunctionalInterface
    private interface DiskTask<T> {
        CompletableFuture<T> run() throws IOException;
    }

    /**
     * Disk work of a client request of {@code bytes} on a volume: handed to the disk executor once
     * the volume's bandwidth admits it, its reservation given back when it is done.
     */
    private <T> CompletableFuture<T> onDiskWithin(Bandwidth bandwidth, long bytes, DiskTask<T> task, ByteBuf owned) {
        if (!bandwidth.limited()) {
            return onDisk(task, owned);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        bandwidth.admit(bytes, () -> onDisk(task, owned).whenComplete((value, error) -> {
            bandwidth.refund(bytes);
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        }), () -> {
            ReferenceCountUtil.release(owned);
            result.completeExceptionally(shuttingDown());
        });
        return result;
    }

    private <T> CompletableFuture<T> onDisk(DiskTask<T> task, ByteBuf owned) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            disk.execute(() -> {
                try {
                    task.run().whenComplete((value, error) -> {
                        if (error != null) {
                            result.completeExceptionally(error);
                        } else {
                            result.complete(value);
                        }
                    });
                } catch (IOException e) {
                    result.completeExceptionally(new CfsException(ErrorCode.IO_ERROR, self + ": " + e.getMessage(), e));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            ReferenceCountUtil.release(owned);
            result.completeExceptionally(shuttingDown());
        }
        return result;
    }

    private CfsException shuttingDown() {
        return new CfsException(ErrorCode.UNAVAILABLE, "block-store " + self + " is shutting down");
    }
}
