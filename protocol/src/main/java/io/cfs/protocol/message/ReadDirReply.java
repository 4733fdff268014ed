package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * A page of directory entries; {@code more} when the listing goes on.
 *
 * <p>Body: {@code i32 count, DirEntry* entries | u8 more}.
 */
public record ReadDirReply(List<DirEntry> entries, boolean more) implements Message {
    public ReadDirReply {
        entries = List.copyOf(entries);
    }

    @Override
    public Opcode opcode() {
        return Opcode.READ_DIR_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(entries.size());
        for (DirEntry e : entries) {
            e.encode(out);
        }
        out.writeBoolean(more);
    }

    public static ReadDirReply decode(ByteBuf in) {
        return new ReadDirReply(readEntries(in), in.readBoolean());
    }

    private static List<DirEntry> readEntries(ByteBuf in) {
        int n = Wire.readCount(in, 11);
        List<DirEntry> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(DirEntry.decode(in));
        }
        return list;
    }
}
