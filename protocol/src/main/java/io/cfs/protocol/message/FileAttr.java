package io.cfs.protocol.message;

import io.netty.buffer.ByteBuf;

/**
 * The attributes of an inode. Wire: {@code i64 inode | u8 type | i32 mode | i32 nlink | i32 uid |
 * i32 gid | i32 rdev | i64 size | Timespec atime | Timespec mtime | Timespec ctime}. {@code mode} holds the
 * permission bits only (07777); the type is separate; {@code rdev} is the device number of a device node (0 otherwise).
 */
public record FileAttr(long inode, FileType type, int mode, int nlink, int uid, int gid, int rdev, long size,
                       Timespec atime, Timespec mtime, Timespec ctime) {
    public static final int BYTES = 8 + 1 + 5 * 4 + 8 + 3 * Timespec.BYTES;

    public void encode(ByteBuf out) {
        out.writeLong(inode);
        out.writeByte(type.code());
        out.writeInt(mode);
        out.writeInt(nlink);
        out.writeInt(uid);
        out.writeInt(gid);
        out.writeInt(rdev);
        out.writeLong(size);
        atime.encode(out);
        mtime.encode(out);
        ctime.encode(out);
    }

    public static FileAttr decode(ByteBuf in) {
        return new FileAttr(in.readLong(), FileType.of(in.readUnsignedByte()), in.readInt(), in.readInt(),
                in.readInt(), in.readInt(), in.readInt(), in.readLong(), Timespec.decode(in), Timespec.decode(in),
                Timespec.decode(in));
    }
}
