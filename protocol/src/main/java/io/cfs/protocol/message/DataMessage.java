package io.cfs.protocol.message;

import io.netty.buffer.ByteBuf;

/**
 * A message that ends with a run of bytes (block data). Ownership of {@link #data()} travels with
 * the message: a sender hands it to the channel, which releases it once written; a receiver must
 * release it when done.
 */
public interface DataMessage extends Message {
    ByteBuf data();
}
