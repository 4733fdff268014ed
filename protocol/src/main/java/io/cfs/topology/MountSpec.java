package io.cfs.topology;

import java.net.InetSocketAddress;

/**
 * A client host as the topology declares it ({@code mount ID metrics=HOST:PORT}): where the mount
 * started with {@code --id ID} serves its metrics.
 */
public record MountSpec(MountId id, InetSocketAddress metrics) {}
