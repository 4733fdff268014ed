package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.StorageId;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * A storage system tells the metadata server it is up, with its cache counters and the resync state of each mirror of its master volumes. Reply: {@link OkReply}.
 *
 * <p>Body: {@code string storage | i64 cacheHits | i64 cacheMisses | i64 cacheBytes | i32 count, MirrorStatus* mirrors}.
 */
public record StorageHeartbeatRequest(StorageId storage, long cacheHits, long cacheMisses, long cacheBytes, List<MirrorStatus> mirrors) implements Message {
    public StorageHeartbeatRequest {
        mirrors = List.copyOf(mirrors);
    }

    @Override
    public Opcode opcode() {
        return Opcode.STORAGE_HEARTBEAT;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, storage.value());
        out.writeLong(cacheHits);
        out.writeLong(cacheMisses);
        out.writeLong(cacheBytes);
        out.writeInt(mirrors.size());
        for (MirrorStatus e : mirrors) {
            e.encode(out);
        }
    }

    public static StorageHeartbeatRequest decode(ByteBuf in) {
        return new StorageHeartbeatRequest(Wire.readStorage(in), in.readLong(), in.readLong(), in.readLong(), readMirrors(in));
    }

    private static List<MirrorStatus> readMirrors(ByteBuf in) {
        int n = Wire.readCount(in, 28);
        List<MirrorStatus> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(MirrorStatus.decode(in));
        }
        return list;
    }
}
