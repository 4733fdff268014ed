package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * A volume's capacity and its invalid clusters: for a mirror, the clusters it must not serve itself; for a master, the clusters not yet copied, summed over its mirrors.
 *
 * <p>Body: {@code i64 capacity | i64 invalidClusters}.
 */
public record VolumeInfoReply(long capacity, long invalidClusters) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.VOLUME_INFO_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(capacity);
        out.writeLong(invalidClusters);
    }

    public static VolumeInfoReply decode(ByteBuf in) {
        return new VolumeInfoReply(in.readLong(), in.readLong());
    }
}
