package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * Removes an entry: a directory (rmdir) when {@code directory}, anything else (unlink) otherwise. Reply: {@link OkReply}.
 *
 * <p>Body: {@code i64 parent | string name | u8 directory}.
 */
public record RemoveRequest(long parent, String name, boolean directory) implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.REMOVE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(parent);
        Wire.writeString(out, name);
        out.writeBoolean(directory);
    }

    public static RemoveRequest decode(ByteBuf in) {
        return new RemoveRequest(in.readLong(), Wire.readString(in), in.readBoolean());
    }
}
