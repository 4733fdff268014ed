package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Changes the attributes selected by {@code valid} (bits of {@link SetAttrRequest#MODE} etc.); a size change truncates or extends. Reply: {@link AttrReply}.
 *
 * <p>Body: {@code i64 inode | i32 valid | i32 mode | i32 uid | i32 gid | i64 size | Timespec atime | Timespec mtime}.
 */
public record SetAttrRequest(long inode, int valid, int mode, int uid, int gid, long size, Timespec atime, Timespec mtime) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.SET_ATTR;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(inode);
        out.writeInt(valid);
        out.writeInt(mode);
        out.writeInt(uid);
        out.writeInt(gid);
        out.writeLong(size);
        atime.encode(out);
        mtime.encode(out);
    }

    public static SetAttrRequest decode(ByteBuf in) {
        return new SetAttrRequest(in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readLong(), Timespec.decode(in), Timespec.decode(in));
    }

    public static final int MODE = 1;
    public static final int UID = 2;
    public static final int GID = 4;
    public static final int SIZE = 8;
    public static final int ATIME = 16;
    public static final int MTIME = 32;

    public boolean has(int bit) {
        return (valid & bit) != 0;
    }
}
