package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * open(2) with O_CREAT in one round trip: creates a regular file as {@link CreateFileRequest} does
 * (with {@code exclusive} an existing name is ALREADY_EXISTS, without it the existing file is
 * opened) and opens it as {@link OpenRequest} does, for writing if {@code write}. Reply:
 * {@link OpenReply}. If the open fails after the file was created (too many open files), the file
 * stays, as after a create and a failed open.
 *
 * <p>Body: {@code i64 parent | string name | i32 mode | i32 uid | i32 gid | u8 exclusive | u8 write}.
 */
public record CreateOpenRequest(long parent, String name, int mode, int uid, int gid, boolean exclusive,
                                boolean write) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.CREATE_OPEN;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        out.writeInt(mode);
        out.writeInt(uid);
        out.writeInt(gid);
        out.writeBoolean(exclusive);
        out.writeBoolean(write);
    }

    public static CreateOpenRequest decode(ByteBuf in) {
        return new CreateOpenRequest(in.readLong(), Wire.readString(in), in.readInt(), in.readInt(), in.readInt(),
                in.readBoolean(), in.readBoolean());
    }
}
