package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * The master's storage system answers a {@link RenewLeaseRequest}: the mirror may serve reads of
 * the clusters it believes valid for {@code millis} milliseconds from when it sent the request.
 * {@code millis == 0}: the lease is withheld, because the master could not tell the mirror that
 * some clusters went stale; the mirror must fetch its Bitmap Table row ({@link
 * MirrorBitmapRequest}) before it asks again, and serves no cluster itself until granted.
 *
 * <p>Body: {@code i32 millis}.
 */
public record LeaseReply(int millis) implements Message {
    /** The reply that withholds the lease. */
    public static final LeaseReply WITHHELD = new LeaseReply(0);

    public LeaseReply {
        if (millis < 0) {
            throw new IllegalArgumentException("lease of " + millis + " ms: expected >= 0 (0: withheld)");
        }
    }

    public boolean granted() {
        return millis > 0;
    }

    @Override
    public Opcode opcode() {
        return Opcode.LEASE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(millis);
    }

    public static LeaseReply decode(ByteBuf in) {
        return new LeaseReply(in.readInt());
    }
}
