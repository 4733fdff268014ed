package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Between storage systems: marks {@code count} clusters from {@code firstCluster} of a mirror volume stale before the master acknowledges the write that changed them. Reply: {@link OkReply}.
 *
 * <p>Body: {@code string volume | i64 firstCluster | i32 count}.
 */
public record InvalidateRequest(VolumeId volume, long firstCluster, int count) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.INVALIDATE;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
        out.writeLong(firstCluster);
        out.writeInt(count);
    }

    public static InvalidateRequest decode(ByteBuf in) {
        return new InvalidateRequest(Wire.readVolume(in), in.readLong(), in.readInt());
    }
}
