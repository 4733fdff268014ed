package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;

/**
 * Makes every acknowledged write of a master volume durable on disk, and visible on its mirrors. Reply: {@link OkReply}.
 *
 * <p>Body: {@code string volume}.
 */
public record FlushRequest(VolumeId volume) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.FLUSH;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, volume.value());
    }

    public static FlushRequest decode(ByteBuf in) {
        return new FlushRequest(Wire.readVolume(in));
    }
}
