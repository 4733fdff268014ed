package io.cfs.meta;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;

/**
 * How to run a metadata server beyond what the topology says.
 *
 * @param id        the server's name in logs and thread names
 * @param listen    the address to listen on, or null for the topology's {@code metadata address=}
 *                  (port 0 picks a free port)
 * @param dataDir   the data folder, or null for the topology's {@code metadata data=}
 * @param clock     the time source of every timestamp the server records
 * @param ioThreads Netty I/O threads
 */
public record MetadataOptions(String id, InetSocketAddress listen, Path dataDir, Clock clock, int ioThreads) {
    public MetadataOptions {
        if (id == null || id.isEmpty() || clock == null || ioThreads < 1) {
            throw new IllegalArgumentException("metadata options need an id, a clock and at least one I/O thread");
        }
    }

    /** Id {@code meta}, the topology's address and data folder, the system clock, 2 I/O threads. */
    public static MetadataOptions defaults() {
        return new MetadataOptions("meta", null, null, Clock.systemUTC(), 2);
    }

    public MetadataOptions withId(String newId) {
        return new MetadataOptions(newId, listen, dataDir, clock, ioThreads);
    }

    public MetadataOptions withListen(InetSocketAddress address) {
        return new MetadataOptions(id, address, dataDir, clock, ioThreads);
    }

    public MetadataOptions withDataDir(Path dir) {
        return new MetadataOptions(id, listen, dir, clock, ioThreads);
    }

    public MetadataOptions withClock(Clock newClock) {
        return new MetadataOptions(id, listen, dataDir, newClock, ioThreads);
    }
}
