package io.cfs.topology;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The metadata server (the seed's CFS server): where it listens and where its journal lives. */
public record MetadataSpec(InetSocketAddress address, Path data) {}
