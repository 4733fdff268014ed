package io.cfs.mount.client;

import io.netty.buffer.ByteBuf;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;

/**
 * The read-ahead chunks of one open file on this host, shared by all its handles: many viewers
 * of one video on one host read through the kernel's page cache, which asks the client only for
 * the pages none of them has read yet, each time through whichever handle got there first; with
 * a read-ahead of its own, each handle saw a broken sequence and fetched every chunk again.
 *
 * <p>Chunks are aligned to the read-ahead size, tagged with the file's generation (a write or a
 * truncate on this host makes older ones useless) and kept least recently used first, as many as
 * the caller of {@link #getOrFetch} allows. A chunk's bytes are released once it is evicted and no
 * reader holds them. Thread-safe.
 */
final class ReadAhead {
    /** A chunk of file bytes [offset, offset+length) as of {@code generation}, on its way or arrived. */
    static final class Chunk {
        final long offset;
        final int length;
        final long generation;
        final CompletableFuture<ByteBuf> bytes;
        private boolean evicted;

        Chunk(long offset, int length, long generation, CompletableFuture<ByteBuf> bytes) {
            this.offset = offset;
            this.length = length;
            this.generation = generation;
            this.bytes = bytes;
        }

        long end() {
            return offset + length;
        }
    }

    private final LinkedHashMap<Long, Chunk> chunks = new LinkedHashMap<>(16, 0.75f, true);

    /** The chunk starting at {@code offset} for {@code generation}, or null (dropping an outdated one). */
    synchronized Chunk get(long offset, long generation) {
        Chunk c = chunks.get(offset);
        if (c != null && c.generation != generation) {
            evict(chunks.remove(offset));
            return null;
        }
        return c;
    }

    /**
     * The chunk starting at {@code offset} for {@code generation}; if there is none, one made by
     * {@code fetch} (called under this object's monitor: it must only start the fetch), evicting
     * the least recently used beyond {@code capacity} chunks.
     */
    synchronized Chunk getOrFetch(long offset, int length, long generation, int capacity,
                                  LongFunction<CompletableFuture<ByteBuf>> fetch) {
        if (capacity < 1) {
            throw new IllegalArgumentException("read-ahead of " + capacity + " chunks: expected >= 1");
        }
        Chunk c = get(offset, generation);
        if (c == null) {
            c = new Chunk(offset, length, generation, fetch.apply(offset));
            chunks.put(offset, c);
            while (chunks.size() > capacity) {
                Iterator<Map.Entry<Long, Chunk>> eldest = chunks.entrySet().iterator();
                Chunk old = eldest.next().getValue();
                eldest.remove();
                evict(old);
            }
        }
        return c;
    }

    /**
     * The chunk's bytes, retained for the caller (who releases them), or null if the chunk was
     * evicted or its fetch failed. Waits for them to arrive.
     */
    ByteBuf acquire(Chunk c) {
        ByteBuf b;
        try {
            b = c.bytes.join();
        } catch (RuntimeException e) {
            forget(c);
            return null;
        }
        synchronized (this) {
            return c.evicted ? null : b.retain();
        }
    }

    /** Drops a chunk (a failed fetch: the next reader fetches it again, with fail-over). */
    synchronized void forget(Chunk c) {
        if (chunks.get(c.offset) == c) {
            evict(chunks.remove(c.offset));
        }
    }

    /** Drops every chunk (the file's last handle here is gone). */
    synchronized void clear() {
        chunks.values().forEach(this::evict);
        chunks.clear();
    }

    private void evict(Chunk c) {
        c.evicted = true;
        c.bytes.thenAccept(ByteBuf::release); // released whenever it arrives; readers hold their own retain
    }
}
