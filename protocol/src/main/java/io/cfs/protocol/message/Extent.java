package io.cfs.protocol.message;

import io.cfs.protocol.Wire;
import io.cfs.topology.PairId;
import io.netty.buffer.ByteBuf;

/**
 * A run of a file's bytes stored contiguously on one pair, in master coordinates (a row of the
 * File Allocation List): file bytes {@code [fileOffset, fileOffset+length)} live at
 * {@code volumeOffset} of the pair's master volume and, block for block, of each mirror.
 * Wire: {@code i64 fileOffset | i64 length | string pair | i64 volumeOffset}.
 */
public record Extent(long fileOffset, long length, PairId pair, long volumeOffset) {
    public Extent {
        if (fileOffset < 0 || length <= 0 || volumeOffset < 0) {
            throw new IllegalArgumentException("extent " + fileOffset + "+" + length + "@" + volumeOffset
                    + ": expected non-negative offsets and a positive length");
        }
    }

    public long fileEnd() {
        return fileOffset + length;
    }

    public void encode(ByteBuf out) {
        out.writeLong(fileOffset);
        out.writeLong(length);
        Wire.writeString(out, pair.value());
        out.writeLong(volumeOffset);
    }

    public static Extent decode(ByteBuf in) {
        return new Extent(in.readLong(), in.readLong(), Wire.readPair(in), in.readLong());
    }
}
