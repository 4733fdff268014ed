package io.cfs.blockstore.mirror;

import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;

/** How a mirror's storage system reaches its master's: the Sync Client. */
public interface MasterFetcher {
    /** Reads exactly {@code length} bytes of a master volume; the caller releases the buffer. */
    CompletableFuture<ByteBuf> read(VolumeAddress master, long offset, int length);

    /**
     * The master's Bitmap Table row of mirror {@code member} of {@code pair}; {@code fresh}: the
     * mirror's volume was created empty, so the master first marks every cluster written on it.
     */
    CompletableFuture<BitSet> mirrorBitmap(StorageId masterStorage, PairId pair, int member, boolean fresh);
}
