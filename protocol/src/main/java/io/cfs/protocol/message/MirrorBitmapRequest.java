package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * Between storage systems: a mirror's storage system, starting up, asks the master's storage
 * system for the Bitmap Table row of one mirror (member {@code member} of pair {@code pair}), so
 * that it learns which clusters went stale while it was away before it serves them. Reply: a
 * {@link DataReply} holding the bits as {@link java.util.BitSet#toByteArray()} lays them out.
 *
 * <p>{@code fresh}: the asking mirror's copy was just created empty; the master marks every
 * written cluster invalid for it before answering.
 *
 * <p>Body: {@code string pair | i32 member | u8 fresh}.
 */
public record MirrorBitmapRequest(PairId pair, int member, boolean fresh) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.MIRROR_BITMAP;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeBoolean(fresh);
    }

    public static MirrorBitmapRequest decode(ByteBuf in) {
        return new MirrorBitmapRequest(Wire.readPair(in), in.readInt(), in.readBoolean());
    }
}
