package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * Between storage systems: the storage system of mirror {@code member} of pair {@code pair} asks
 * the master's storage system to renew the mirror's read lease. A mirror on another storage system
 * serves reads of clusters it believes valid only while it holds this lease, measured from the
 * moment it sent this request. Reply: a {@link LeaseReply}.
 *
 * <p>Body: {@code string pair | i32 member}.
 */
public record RenewLeaseRequest(PairId pair, int member) implements Message {
    public RenewLeaseRequest {
        if (member < 1) {
            throw new IllegalArgumentException("lease renewal for member " + member + " of pair " + pair
                    + ": expected a mirror (member 1 or more)");
        }
    }

    @Override
    public Opcode opcode() {
        return Opcode.RENEW_LEASE;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair.value());
        out.writeInt(member);
    }

    public static RenewLeaseRequest decode(ByteBuf in) {
        return new RenewLeaseRequest(Wire.readPair(in), in.readInt());
    }
}
