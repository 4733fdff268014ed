package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * One CRC32C per cluster asked for.
 *
 * <p>Body: {@code i32 count, i64* checksums}.
 */
public record ChecksumReply(List<Long> checksums) implements Message {
    public ChecksumReply {
        checksums = List.copyOf(checksums);
    }

    @Override
    public Opcode opcode() {
        return Opcode.CHECKSUMS_REPLY;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(checksums.size());
        for (long v : checksums) {
            out.writeLong(v);
        }
    }

    public static ChecksumReply decode(ByteBuf in) {
        return new ChecksumReply(readChecksums(in));
    }

    private static List<Long> readChecksums(ByteBuf in) {
        int n = Wire.readCount(in, 8);
        List<Long> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(in.readLong());
        }
        return list;
    }
}
