package io.cfs.mount.client;

import io.netty.buffer.ByteBuf;

/**
 * A row of the File Management Table (seed Fig 16): one open of a file, with the pair member the
 * Usage Table assigned to it and its own read-ahead. Read-ahead is guarded by the handle's monitor.
 */
final class Handle {
    /** This host's id for the open (the FUSE file handle); stays the same when the open is re-established. */
    final long id;
    final OpenFile file;
    final int flags;
    /** The metadata server's handle for this open, in session {@link #epoch}. */
    volatile long serverHandle;
    /** The session epoch the server handle belongs to; an older one must be reopened. */
    volatile long epoch;
    /** The member of the file's pair this opener reads from (0 is the master). */
    volatile int member;
    /** The file was unchanged since this host last cached it: the kernel may keep its pages. */
    boolean keepCache;
    ByteBuf readAhead;
    long readAheadOffset;
    long readAheadGeneration;
    /** Where the last read ended: a read starting there is sequential and gets read-ahead. */
    long lastReadEnd;
    /** The next chunks of a sequential reader, in file order, being fetched while it reads the current one. */
    final java.util.ArrayDeque<Prefetch> prefetches = new java.util.ArrayDeque<>();
    final PrefetchWindow prefetchWindow = new PrefetchWindow(CfsClient.MAX_PREFETCH_WINDOW, CfsClient.PREFETCH_BUDGET);

    /** A chunk of file bytes [offset, offset+length) on its way, for the file as of {@code generation}. */
    record Prefetch(long offset, int length, long generation, java.util.concurrent.CompletableFuture<ByteBuf> bytes) {
        long end() {
            return offset + length;
        }
    }

    Handle(long id, OpenFile file, int flags, long serverHandle, long epoch, int member) {
        this.id = id;
        this.file = file;
        this.flags = flags;
        this.serverHandle = serverHandle;
        this.epoch = epoch;
        this.member = member;
    }

    boolean writable() {
        return OpenFlags.writable(flags);
    }

    synchronized void dropReadAhead() {
        if (readAhead != null) {
            readAhead.release();
            readAhead = null;
        }
        dropPrefetch();
    }

    synchronized void dropPrefetch() {
        for (Prefetch p; (p = prefetches.pollFirst()) != null; ) {
            p.bytes().thenAccept(ByteBuf::release); // released whenever it arrives
        }
    }
}
