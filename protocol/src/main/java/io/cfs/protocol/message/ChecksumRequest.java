package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Asks for the CRC32C of {@code count} clusters of a volume as stored (no Check Invalid), from {@code firstCluster}. Reply: {@link ChecksumReply}.
 *
 * <p>Body: {@code string volume | i64 firstCluster | i32 count}.
 */
public record ChecksumRequest(VolumeId volume, long firstCluster, int count) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.CHECKSUMS;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
        out.writeLong(firstCluster);
        out.writeInt(count);
    }

    public static ChecksumRequest decode(ByteBuf in) {
        return new ChecksumRequest(Wire.readVolume(in), in.readLong(), in.readInt());
    }
}
