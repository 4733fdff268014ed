package io.cfs.mount.client;

import io.cfs.protocol.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Zeros for the holes a read returns and for the zeroing writes: slices of one read-only direct
 * buffer that lives as long as the process, so no request allocates and fills a buffer of zeros.
 * Releasing a slice does nothing.
 */
final class Zeros {
    /** The largest slice: the most data one request carries. */
    static final int MAX = MessageCodec.MAX_DATA;
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(MAX, MAX).writeZero(MAX).asReadOnly());

    private Zeros() {}

    /** {@code n} zero bytes (at most {@link #MAX}), readable. */
    static ByteBuf of(int n) {
        return ZEROS.slice(0, n);
    }
}
