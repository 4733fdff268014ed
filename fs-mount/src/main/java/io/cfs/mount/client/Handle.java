package io.cfs.mount.client;

/**
 * A row of the File Management Table (seed Fig 16): one open of a file, with the pair member the
 * Usage Table assigned to it and where its reads are; the read-ahead chunks are the file's, shared
 * by its handles on this host ({@link OpenFile#readAhead}). The read position and window are
 * guarded by the handle's monitor.
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
    /** Where the last read ended: a read starting there (or a little further on) is sequential. */
    long lastReadEnd;
    /** How many read-ahead chunks this reader may have on their way. */
    final PrefetchWindow prefetchWindow = new PrefetchWindow(CfsClient.MAX_PREFETCH_WINDOW, CfsClient.PREFETCH_BUDGET);

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
}
