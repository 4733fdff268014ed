package io.cfs.mount.client;

import io.netty.buffer.ByteBuf;

/**
 * A row of the File Management Table (seed Fig 16): one open of a file, with the pair member the
 * Usage Table assigned to it and its own read-ahead. Read-ahead is guarded by the handle's monitor.
 */
final class Handle {
    final long id;
    final OpenFile file;
    /** The member of the file's pair this opener reads from (0 is the master). */
    final int member;
    final int flags;
    ByteBuf readAhead;
    long readAheadOffset;
    long readAheadGeneration;

    Handle(long id, OpenFile file, int member, int flags) {
        this.id = id;
        this.file = file;
        this.member = member;
        this.flags = flags;
    }

    boolean writable() {
        return OpenFlags.writable(flags);
    }

    synchronized void dropReadAhead() {
        if (readAhead != null) {
            readAhead.release();
            readAhead = null;
        }
    }
}
