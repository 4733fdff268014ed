package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Reads an inode's attributes. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 inode}.
 */
public record GetAttrRequest(long inode) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.GET_ATTR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
    }

    public static GetAttrRequest decode(ByteBuf in) {
        return new GetAttrRequest(in.readLong());
    }
}
