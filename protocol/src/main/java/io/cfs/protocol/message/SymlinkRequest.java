package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Creates a symbolic link {@code name} in {@code parent} pointing at {@code target}. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 parent | string name | string target | i32 uid | i32 gid}.
 */
public record SymlinkRequest(long parent, String name, String target, int uid, int gid) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.SYMLINK;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        Wire.writeString(out, target);
        out.writeInt(uid);
        out.writeInt(gid);
    }

    public static SymlinkRequest decode(ByteBuf in) {
        return new SymlinkRequest(in.readLong(), Wire.readString(in), Wire.readString(in), in.readInt(), in.readInt());
    }
}
