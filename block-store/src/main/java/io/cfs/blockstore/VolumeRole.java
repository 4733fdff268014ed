package io.cfs.blockstore;

import io.cfs.blockstore.mirror.MasterPair;
import io.cfs.blockstore.mirror.MasterPair.MirrorLink;
import io.cfs.blockstore.mirror.MirrorReplica;
import io.cfs.blockstore.volume.Volume;

/** What a volume held by this storage system is in the Pair Configuration Table. */
sealed interface VolumeRole {
    Volume volume();

    /** The master of a pair. */
    record Master(MasterPair pair) implements VolumeRole {
        @Override
        public Volume volume() {
            return pair.master();
        }
    }

    /** A mirror whose master is on this storage system too: the master's Bitmap Table row says what is stale. */
    record LocalMirror(MasterPair pair, MirrorLink link) implements VolumeRole {
        @Override
        public Volume volume() {
            return link.local();
        }
    }

    /** A mirror whose master is on another storage system: this storage system's stale map says what is stale. */
    record RemoteMirror(MirrorReplica replica) implements VolumeRole {
        @Override
        public Volume volume() {
            return replica.volume();
        }
    }

    /** A volume in no pair: plain reads (writes go to masters only). */
    record Unpaired(Volume volume) implements VolumeRole {}
}
