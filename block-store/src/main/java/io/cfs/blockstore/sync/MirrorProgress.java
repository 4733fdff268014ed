package io.cfs.blockstore.sync;

import io.cfs.topology.PairId;
import io.cfs.topology.VolumeAddress;

/**
 * The resync state of one mirror of a master held here, as the Sync Daemon sees it.
 *
 * @param invalidClusters clusters the mirror still lacks (set bits of its Bitmap Table row)
 * @param bytesCopied     bytes copied to it since startup
 * @param bytesPerSecond  copy rate over the last few seconds
 * @param reachable       false while copies to it fail (the daemon retries)
 * @param problem         the last failure while unreachable, else empty
 */
public record MirrorProgress(PairId pair, int member, VolumeAddress mirror, long invalidClusters, long bytesCopied,
                             long bytesPerSecond, boolean reachable, String problem) {}
