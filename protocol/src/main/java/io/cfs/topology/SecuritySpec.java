package io.cfs.topology;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the {@code cluster} line says about connections: the cluster secret file every daemon and
 * client proves it holds, the optional TLS files, how long a connection may stay idle and how many
 * connections a daemon accepts. {@code declaredAt} ({@code file:line}) is where errors point.
 *
 * @param secret         the secret file; empty only when the topology has no {@code secret=}, which
 *                       no daemon or client accepts (see {@code io.cfs.protocol.rpc.ClusterCredentials})
 * @param tls            the PEM files for TLS, all three or none
 * @param idleTimeout    a daemon closes a connection on which nothing was read or written for this long
 * @param maxConnections a daemon refuses connections beyond this many open at once
 */
public record SecuritySpec(Optional<Path> secret, Optional<TlsFiles> tls, Duration idleTimeout, int maxConnections,
                           String declaredAt) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    /** The certificate chain and key a daemon or client presents, and the CA that signs every peer's. */
    public record TlsFiles(Path cert, Path key, Path ca) {}

    public SecuritySpec {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout " + idleTimeout + ": expected > 0");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max connections " + maxConnections + ": expected >= 1");
        }
    }
}
