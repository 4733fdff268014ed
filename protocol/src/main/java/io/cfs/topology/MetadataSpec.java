package io.cfs.topology;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The metadata server (the seed's CFS server): where it listens, where its journal lives and
 * where it serves its metrics, if anywhere.
 */
public record MetadataSpec(InetSocketAddress address, Path data, Optional<InetSocketAddress> metrics) {
    /** A metadata server serving no metrics. */
    public MetadataSpec(InetSocketAddress address, Path data) {
        this(address, data, Optional.empty());
    }
}
