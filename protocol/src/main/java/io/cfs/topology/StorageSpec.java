package io.cfs.topology;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One storage system (a block-store daemon): where it listens, where its volumes live and where
 * it serves its metrics, if anywhere.
 */
public record StorageSpec(StorageId id, InetSocketAddress address, Path data, Optional<InetSocketAddress> metrics) {
    /** A storage system serving no metrics. */
    public StorageSpec(StorageId id, InetSocketAddress address, Path data) {
        this(id, address, data, Optional.empty());
    }
}
