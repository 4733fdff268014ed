package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Between storage systems: writes bytes to a mirror volume (a sync copy or the Sync Daemon's resync) and marks the clusters it wholly covers valid. Reply: {@link OkReply}.
 *
 * <p>Body: {@code string volume | i64 offset | bytes data (the rest of the frame)}.
 */
public record ReplicaWriteRequest(VolumeId volume, long offset, ByteBuf data) implements DataMessage {
    @Override
    public Opcode opcode() {
        return Opcode.REPLICA_WRITE;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
        out.writeLong(offset);
    }

    public static ReplicaWriteRequest decode(ByteBuf in) {
        return new ReplicaWriteRequest(Wire.readVolume(in), in.readLong(), in.readRetainedSlice(in.readableBytes()));
    }
}
