package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * Marks clusters of a mirror invalid in the master's Bitmap Table so that the Sync Daemon copies them again (scrub repair). Reply: {@link OkReply}.
 *
 * <p>Body: {@code string pair | i32 member | i64 firstCluster | i32 count}.
 */
public record MarkInvalidRequest(PairId pair, int member, long firstCluster, int count) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.MARK_INVALID;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeLong(firstCluster);
        out.writeInt(count);
    }

    public static MarkInvalidRequest decode(ByteBuf in) {
        return new MarkInvalidRequest(Wire.readPair(in), in.readInt(), in.readLong(), in.readInt());
    }
}
