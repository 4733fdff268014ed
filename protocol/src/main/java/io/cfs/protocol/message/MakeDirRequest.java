package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Creates a directory. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 parent | string name | i32 mode | i32 uid | i32 gid}.
 */
public record MakeDirRequest(long parent, String name, int mode, int uid, int gid) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.MAKE_DIR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        out.writeInt(mode);
        out.writeInt(uid);
        out.writeInt(gid);
    }

    public static MakeDirRequest decode(ByteBuf in) {
        return new MakeDirRequest(in.readLong(), Wire.readString(in), in.readInt(), in.readInt(), in.readInt());
    }
}
