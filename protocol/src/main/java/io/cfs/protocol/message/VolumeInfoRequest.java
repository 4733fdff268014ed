package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Asks a storage system about one of its volumes. Reply: {@link VolumeInfoReply}.
 *
 * <p>Body: {@code string volume}.
 */
public record VolumeInfoRequest(VolumeId volume) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.VOLUME_INFO;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
    }

    public static VolumeInfoRequest decode(ByteBuf in) {
        return new VolumeInfoRequest(Wire.readVolume(in));
    }
}
