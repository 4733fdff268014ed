package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks where a file lives without opening it (for a directory: the pair it is pinned to, if any). Reply: {@link LocateReply}.
 *
 * <p>Body: {@code i64 inode}.
 */
public record LocateRequest(long inode) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.LOCATE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
    }

    public static LocateRequest decode(ByteBuf in) {
        return new LocateRequest(in.readLong());
    }
}
