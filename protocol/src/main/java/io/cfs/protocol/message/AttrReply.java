package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * An inode's attributes.
 *
 * <p>Body: {@code FileAttr attr}.
 */
public record AttrReply(FileAttr attr) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.ATTR;
    }

    @Override
    public void encode(ByteBuf out) {
        attr.encode(out);
    }

    public static AttrReply decode(ByteBuf in) {
        return new AttrReply(FileAttr.decode(in));
    }
}
