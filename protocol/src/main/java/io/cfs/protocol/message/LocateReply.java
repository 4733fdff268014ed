package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * A file's pair (empty when none) and extents.
 *
 * <p>Body: {@code string pair | i32 count, Extent* extents}.
 */
public record LocateReply(String pair, List<Extent> extents) implements Message {
    public LocateReply {
        extents = List.copyOf(extents);
    }

    @Override
    public Opcode opcode() {
        return Opcode.LOCATE_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeString(out, pair);
        out.writeInt(extents.size());
        for (Extent e : extents) {
            e.encode(out);
        }
    }

    public static LocateReply decode(ByteBuf in) {
        return new LocateReply(Wire.readString(in), readExtents(in));
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
