package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Moves an entry atomically, replacing the target as POSIX rename does. Reply: {@link OkReply}.
 *
 * <p>Body: {@code i64 srcParent | string srcName | i64 dstParent | string dstName}.
 */
public record RenameRequest(long srcParent, String srcName, long dstParent, String dstName) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.RENAME;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(srcParent);
        Wire.writeString(out, srcName);
        out.writeLong(dstParent);
        Wire.writeString(out, dstName);
    }

    public static RenameRequest decode(ByteBuf in) {
        return new RenameRequest(in.readLong(), Wire.readString(in), in.readLong(), Wire.readString(in));
    }
}
