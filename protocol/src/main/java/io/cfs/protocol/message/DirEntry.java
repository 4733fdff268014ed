package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/** One directory entry. Wire: {@code string name | i64 inode | u8 type}. */
public record DirEntry(String name, long inode, FileType type) {
    public void encode(ByteBuf out) {
        Wire.writeString(out, name);
        out.writeLong(inode);
        out.writeByte(type.code());
    }

    public static DirEntry decode(ByteBuf in) {
        return new DirEntry(Wire.readString(in), in.readLong(), FileType.of(in.readUnsignedByte()));
    }
}
