package io.cfs.topology;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** One storage system (a block-store daemon): where it listens and where its volumes live. */
public record StorageSpec(StorageId id, InetSocketAddress address, Path data) {}
