package io.cfs.mount.client;

import io.cfs.protocol.message.Extent;
import io.cfs.topology.PairId;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What this host knows of one open file (an inode with at least one open handle here): its
 * allocation list, its size as this host sees it, and the writes staged for coalescing. Shared by
 * every handle of the inode on this host; guarded by {@link #lock}.
 */
final class OpenFile {
    final long inode;
    final ReentrantLock lock = new ReentrantLock();
    /** The pair the file was placed on (the Usage Table assigns members of this pair). */
    PairId pair;
    /** The File Allocation List, sorted by file offset. */
    volatile List<Extent> extents = List.of();
    /** The size as this host sees it: the server's size, grown by writes not yet committed (volatile: read unlocked by stat). */
    volatile long size;
    /** The size the metadata server has (as of the last open, commit or truncate here). */
    long committedSize;
    /** Written (or resized) since the last commit to the metadata server (volatile: read unlocked by stat). */
    volatile boolean dirty;
    /**
     * The first failure of a write this host had already acknowledged (staged or in flight): the
     * next commit reports it and drops what was not committed instead of committing a size over
     * bytes that never reached the storage systems.
     */
    io.cfs.protocol.CfsException writeError;
    /** Bumped by every write or truncate, so handles drop read-ahead taken before it. */
    long generation;
    /**
     * Bumped by every change this host makes to the layout or the committed size (allocation,
     * commit, truncate), so that an open whose reply predates one does not apply that older state.
     */
    volatile long changes;
    /** Master volumes written since the last fsync. */
    final Set<VolumeAddress> unsynced = new HashSet<>();
    /** Staged sequential writes: bytes for file offsets [stagedOffset, stagedOffset + staged.readableBytes()). */
    ByteBuf staged;
    long stagedOffset;
    /** Writes sent to the storage systems and not yet acknowledged, oldest first (bounded by the sender). */
    final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
    /** Read-ahead chunks shared by the handles (thread-safe on its own, not under {@link #lock}). */
    final ReadAhead readAhead = new ReadAhead();
    /** Handles of this host on the inode, and opens in progress; the last to go drops the open file. */
    int handles;

    /** A write of file bytes [offset, end) on its way to the masters. */
    record InFlight(long offset, long end, java.util.concurrent.CompletableFuture<Void> done) {}

    OpenFile(long inode) {
        this.inode = inode;
    }

    /** Replaces the allocation list with the server's newer one. */
    void layout(List<Extent> newExtents) {
        List<Extent> sorted = new ArrayList<>(newExtents);
        sorted.sort((a, b) -> Long.compare(a.fileOffset(), b.fileOffset()));
        extents = List.copyOf(sorted);
    }

    /** The extent holding file byte {@code offset}, or null for a hole. */
    Extent extentAt(long offset) {
        List<Extent> list = extents;
        int lo = 0;
        int hi = list.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Extent e = list.get(mid);
            if (offset < e.fileOffset()) {
                hi = mid - 1;
            } else if (offset >= e.fileEnd()) {
                lo = mid + 1;
            } else {
                return e;
            }
        }
        return null;
    }

    /** The start of the first extent after {@code offset}, or {@code Long.MAX_VALUE}. */
    long nextExtentStart(long offset) {
        for (Extent e : extents) {
            if (e.fileOffset() > offset) {
                return e.fileOffset();
            }
        }
        return Long.MAX_VALUE;
    }

    /** True when every byte of [offset, offset+length) is backed by an extent. */
    boolean backed(long offset, long length) {
        long at = offset;
        long end = offset + length;
        while (at < end) {
            Extent e = extentAt(at);
            if (e == null) {
                return false;
            }
            at = e.fileEnd();
        }
        return true;
    }
}
