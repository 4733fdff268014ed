package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.cfs.topology.StorageId;
import io.netty.buffer.ByteBuf;

/**
 * A storage system as the metadata server sees it: up while it heartbeats, its cache counters.
 *
 * <p>Wire: {@code string storage | u8 up | i64 heartbeatAgeMillis | i64 cacheHits | i64 cacheMisses | i64 cacheBytes}.
 */
public record StorageStatus(StorageId storage, boolean up, long heartbeatAgeMillis, long cacheHits, long cacheMisses, long cacheBytes) {
    public void encode(ByteBuf out) {
        Wire.writeString(out, storage.value());
        out.writeBoolean(up);
        out.writeLong(heartbeatAgeMillis);
        out.writeLong(cacheHits);
        out.writeLong(cacheMisses);
        out.writeLong(cacheBytes);
    }

    public static StorageStatus decode(ByteBuf in) {
        return new StorageStatus(Wire.readStorage(in), in.readBoolean(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }
}
