package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Creates a FIFO, socket or device node ({@code rdev} for devices). Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 parent | string name | u8 type | i32 mode | i32 rdev | i32 uid | i32 gid}.
 */
public record MakeNodeRequest(long parent, String name, FileType type, int mode, int rdev, int uid, int gid) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.MAKE_NODE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        out.writeByte(type.code());
        out.writeInt(mode);
        out.writeInt(rdev);
        out.writeInt(uid);
        out.writeInt(gid);
    }

    public static MakeNodeRequest decode(ByteBuf in) {
        return new MakeNodeRequest(in.readLong(), Wire.readString(in), FileType.of(in.readUnsignedByte()), in.readInt(), in.readInt(), in.readInt(), in.readInt());
    }
}
