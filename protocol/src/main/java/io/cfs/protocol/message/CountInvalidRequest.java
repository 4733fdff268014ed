package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * Asks the master's storage system how many clusters of volume range {@code [offset, offset+length)} are invalid on member {@code member} of a pair. Reply: {@link CountReply}.
 *
 * <p>Body: {@code string pair | i32 member | i64 offset | i64 length}.
 */
public record CountInvalidRequest(PairId pair, int member, long offset, long length) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.COUNT_INVALID;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeLong(offset);
        out.writeLong(length);
    }

    public static CountInvalidRequest decode(ByteBuf in) {
        return new CountInvalidRequest(Wire.readPair(in), in.readInt(), in.readLong(), in.readLong());
    }
}
