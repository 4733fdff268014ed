package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Reads a symbolic link's target. Reply: {@link ReadLinkReply}.
 *
 * <p>Body: {@code i64 inode}.
 */
public record ReadLinkRequest(long inode) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.READ_LINK;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
    }

    public static ReadLinkRequest decode(ByteBuf in) {
        return new ReadLinkRequest(in.readLong());
    }
}
