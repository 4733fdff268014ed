package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Writes bytes to a pair's master volume; the storage system mirrors them as the pair's mode says. Reply: {@link OkReply}.
 *
 * <p>Body: {@code string volume | i64 offset | bytes data (the rest of the frame)}.
 */
public record WriteDataRequest(VolumeId volume, long offset, ByteBuf data) implements DataMessage {
    @Override
    public Opcode opcode() {
        return Opcode.WRITE_DATA;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
        out.writeLong(offset);
    }

    public static WriteDataRequest decode(ByteBuf in) {
        return new WriteDataRequest(Wire.readVolume(in), in.readLong(), in.readRetainedSlice(in.readableBytes()));
    }
}
