package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * One member of a pair (0 is the master): the opens the Usage Table assigns it, its invalid clusters and resync rate, and for the master the bytes allocated on it.
 *
 * <p>Wire: {@code string pair | i32 member | i32 opens | i64 invalidClusters | i64 syncBytesPerSecond | i64 usedBytes}.
 */
public record MemberStatus(PairId pair, int member, int opens, long invalidClusters, long syncBytesPerSecond, long usedBytes) {
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeInt(opens);
        out.writeLong(invalidClusters);
        out.writeLong(syncBytesPerSecond);
        out.writeLong(usedBytes);
    }

    public static MemberStatus decode(ByteBuf in) {
        return new MemberStatus(Wire.readPair(in), in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
    }
}
