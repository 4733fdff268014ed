package io.cfs.protocol.message;

import io.netty.buffer.ByteBuf;
import java.time.Instant;

/** A POSIX time: 64-bit seconds and nanoseconds. Wire: {@code i64 seconds | i32 nanos}. */
public record Timespec(long seconds, int nanos) {
    public static final int BYTES = 12;

    public Timespec {
        if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("nanos " + nanos + ": expected 0..999999999");
        }
    }

    public static Timespec of(Instant instant) {
        return new Timespec(instant.getEpochSecond(), instant.getNano());
    }

    public void encode(ByteBuf out) {
        out.writeLong(seconds);
        out.writeInt(nanos);
    }

    public static Timespec decode(ByteBuf in) {
        return new Timespec(in.readLong(), in.readInt());
    }
}
