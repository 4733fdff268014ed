package io.cfs.blockstore.sync;

import io.cfs.topology.VolumeAddress;

/**
 * The state of a mirror held here whose master is on another storage system.
 *
 * @param confirmed       whether its stale map has been checked against the master's Bitmap Table
 * @param invalidClusters clusters it does not serve itself (all while unconfirmed)
 * @param bytesPulled     bytes this storage system fetched itself to make clusters valid (the
 *                        master's Sync Daemon pushes the rest)
 * @param leased          whether it holds a read lease from the master (it serves no cluster itself
 *                        without one)
 */
public record ReplicaProgress(VolumeAddress mirror, VolumeAddress master, boolean confirmed, long invalidClusters,
                              long bytesPulled, boolean leased) {}
