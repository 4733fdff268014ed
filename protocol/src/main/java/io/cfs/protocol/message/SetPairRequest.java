package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * Pins a directory to a pair: files created beneath it from now on are placed on that pair. Reply: {@link OkReply}.
 *
 * <p>Body: {@code i64 inode | string pair}.
 */
public record SetPairRequest(long inode, PairId pair) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.SET_PAIR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
        Wire.writeString(out, pair.value());
    }

    public static SetPairRequest decode(ByteBuf in) {
        return new SetPairRequest(in.readLong(), Wire.readPair(in));
    }
}
