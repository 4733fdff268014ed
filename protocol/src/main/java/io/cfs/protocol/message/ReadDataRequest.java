package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Reads bytes of a volume (master or mirror; a mirror's stale clusters are served from the master). Reply: {@link DataReply}.
 *
 * <p>Body: {@code string volume | i64 offset | i32 length}.
 */
public record ReadDataRequest(VolumeId volume, long offset, int length) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.READ_DATA;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
        out.writeLong(offset);
        out.writeInt(length);
    }

    public static ReadDataRequest decode(ByteBuf in) {
        return new ReadDataRequest(Wire.readVolume(in), in.readLong(), in.readInt());
    }
}
