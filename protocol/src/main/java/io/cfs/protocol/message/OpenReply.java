package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The File Allocation List of an opened file: its handle, attributes, pair, the member assigned to this opener (0 is the master) and its extents.
 *
 * <p>Body: {@code i64 handle | FileAttr attr | string pair | i32 member | i32 count, Extent* extents}.
 */
public record OpenReply(long handle, FileAttr attr, PairId pair, int member, List<Extent> extents) implements Message {
    public OpenReply {
        extents = List.copyOf(extents);
    }

    @Override
    public Opcode opcode() {
        return Opcode.OPEN_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeLong(handle);
        attr.encode(out);
        Wire.writeString(out, pair.value());
        out.writeInt(member);
        out.writeInt(extents.size());
        for (Extent e : extents) {
            e.encode(out);
        }
    }

    public static OpenReply decode(ByteBuf in) {
        return new OpenReply(in.readLong(), FileAttr.decode(in), Wire.readPair(in), in.readInt(), readExtents(in));
    }

    private static List<Extent> readExtents(ByteBuf in) {
        int n = Wire.readCount(in, 26);
        List<Extent> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Extent.decode(in));
        }
        return list;
    }
}
