package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Creates a regular file; with {@code exclusive} an existing name is ALREADY_EXISTS, without it the existing file is returned. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 parent | string name | i32 mode | i32 uid | i32 gid | u8 exclusive}.
 */
public record CreateFileRequest(long parent, String name, int mode, int uid, int gid, boolean exclusive) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.CREATE_FILE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        out.writeInt(mode);
        out.writeInt(uid);
        out.writeInt(gid);
        out.writeBoolean(exclusive);
    }

    public static CreateFileRequest decode(ByteBuf in) {
        return new CreateFileRequest(in.readLong(), Wire.readString(in), in.readInt(), in.readInt(), in.readInt(), in.readBoolean());
    }
}
