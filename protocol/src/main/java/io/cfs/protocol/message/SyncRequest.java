package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks the metadata server to make every change it has answered so far durable on its disk
 * (journal fsync), as fsync(2) on a client needs; answered only then. Reply: {@link OkReply}.
 *
 * <p>Body: {@code empty}.
 */
public record SyncRequest() implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.SYNC;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static SyncRequest decode(ByteBuf in) {
        return new SyncRequest();
    }
}
