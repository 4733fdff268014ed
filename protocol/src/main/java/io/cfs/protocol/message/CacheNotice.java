package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Metadata server to client, unasked (request id {@link #PUSH_ID}): what changed of what this
 * connection was given, so that the client's metadata cache never serves it stale. {@code attrs}
 * are the new attributes of inodes it was given, {@code dropped} inodes it must forget (removed,
 * or too many to keep track of: {@code dropped} holding {@link #EVERYTHING} means forget every
 * name and attribute), {@code entries} names of directories it looked up that now lead elsewhere
 * or nowhere. A notice is sent before the reply to the change that caused it. No reply.
 *
 * <p>Body: {@code i32 count, FileAttr* attrs | i32 count, i64* dropped | i32 count, (i64 dir,
 * string name)* entries}.
 */
public record CacheNotice(List<FileAttr> attrs, List<Long> dropped, List<Entry> entries) implements Message {
    /** The request id of a notice: clients number their requests from 1. */
    public static final long PUSH_ID = 0;
    /** In {@code dropped}: forget everything. */
    public static final long EVERYTHING = 0;

    /** A name in a directory. */
    public record Entry(long dir, String name) {}

    public CacheNotice {
        attrs = List.copyOf(attrs);
        dropped = List.copyOf(dropped);
        entries = List.copyOf(entries);
    }

    /** Forget every cached name and attribute. */
    public static CacheNotice everything() {
        return new CacheNotice(List.of(), List.of(EVERYTHING), List.of());
    }

    @Override
    public Opcode opcode() {
        return Opcode.CACHE_NOTICE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(attrs.size());
        attrs.forEach(a -> a.encode(out));
        out.writeInt(dropped.size());
        dropped.forEach(out::writeLong);
        out.writeInt(entries.size());
        for (Entry e : entries) {
            out.writeLong(e.dir());
            Wire.writeString(out, e.name());
        }
    }

    public static CacheNotice decode(ByteBuf in) {
        int n = Wire.readCount(in, FileAttr.BYTES);
        List<FileAttr> attrs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            attrs.add(FileAttr.decode(in));
        }
        n = Wire.readCount(in, 8);
        List<Long> dropped = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dropped.add(in.readLong());
        }
        n = Wire.readCount(in, 8 + 2);
        List<Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            entries.add(new Entry(in.readLong(), Wire.readString(in)));
        }
        return new CacheNotice(attrs, dropped, entries);
    }
}
