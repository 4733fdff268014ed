package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * The Sync Daemon's state for one mirror of a pair whose master this storage system holds.
 *
 * <p>Wire: {@code string pair | i32 member | i64 invalidClusters | i64 copiedBytes | i64 bytesPerSecond}.
 */
public record MirrorStatus(PairId pair, int member, long invalidClusters, long copiedBytes, long bytesPerSecond) {
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeLong(invalidClusters);
        out.writeLong(copiedBytes);
        out.writeLong(bytesPerSecond);
    }

    public static MirrorStatus decode(ByteBuf in) {
        return new MirrorStatus(Wire.readPair(in), in.readInt(), in.readLong(), in.readLong(), in.readLong());
    }
}
