package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * A file's extents.
 *
 * <p>Body: {@code i32 count, Extent* extents}.
 */
public record LayoutReply(List<Extent> extents) implements Message {
    public LayoutReply {
        extents = List.copyOf(extents);
    }

    @Override
    public Opcode opcode() {
        return Opcode.LAYOUT;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(extents.size());
        for (Extent e : extents) {
            e.encode(out);
        }
    }

    public static LayoutReply decode(ByteBuf in) {
        return new LayoutReply(readExtents(in));
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
