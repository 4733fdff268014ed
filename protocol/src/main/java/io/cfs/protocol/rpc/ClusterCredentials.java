package io.cfs.protocol.rpc;

import io.cfs.topology.SecuritySpec;
import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLException;

/**
 * What every connection of a cluster needs: the cluster secret both ends prove they hold (see
 * {@link Handshake}), the optional TLS contexts, how long a daemon lets a connection sit idle and
 * how many connections it accepts. Built once from the topology ({@link #load}) and handed to every
 * {@link RpcServer} and {@link RpcClient}.
 */
public final class ClusterCredentials {
    /** The shortest secret accepted, in bytes (a generated one is 32 random bytes in base64). */
    public static final int MIN_SECRET_BYTES = 16;
    /** How long a new connection may take to authenticate, at most. */
    static final Duration MAX_HANDSHAKE = Duration.ofSeconds(10);

    private final byte[] secret;
    private final Optional<SslContext> serverTls;
    private final Optional<SslContext> clientTls;
    private final Duration idleTimeout;
    private final int maxConnections;

    private ClusterCredentials(byte[] secret, Optional<SslContext> serverTls, Optional<SslContext> clientTls,
                               Duration idleTimeout, int maxConnections) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("cluster secret of " + secret.length + " bytes: expected at least "
                    + MIN_SECRET_BYTES);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxConnections < 1) {
            throw new IllegalArgumentException("idle timeout " + idleTimeout + " and max connections " + maxConnections
                    + ": expected both > 0");
        }
        this.secret = secret.clone();
        Handshake.warmUp();
        this.serverTls = serverTls;
        this.clientTls = clientTls;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
    }

    /** Credentials with a given secret, no TLS and the default limits (tests and in-process clusters). */
    public static ClusterCredentials of(byte[] secret) {
        return new ClusterCredentials(secret, Optional.empty(), Optional.empty(), SecuritySpec.DEFAULT_IDLE_TIMEOUT,
                SecuritySpec.DEFAULT_MAX_CONNECTIONS);
    }

    /** The same credentials with other connection limits. */
    public ClusterCredentials withLimits(Duration idleTimeout, int maxConnections) {
        return new ClusterCredentials(secret, serverTls, clientTls, idleTimeout, maxConnections);
    }

    /** The same credentials with TLS: {@code server} for accepted connections, {@code client} for outgoing ones. */
    public ClusterCredentials withTls(SslContext server, SslContext client) {
        return new ClusterCredentials(secret, Optional.of(server), Optional.of(client), idleTimeout, maxConnections);
    }

    /**
     * Reads the secret (and the TLS files) the topology's cluster line names.
     *
     * @throws TopologyException no {@code secret=}, a secret file that is missing, not a regular
     *                           file, readable by others than its owner or too short, or TLS files
     *                           that cannot be used; the message names the file and the fix
     */
    public static ClusterCredentials load(Topology topology) throws TopologyException {
        SecuritySpec spec = topology.security();
        Path file = spec.secret().orElseThrow(() -> new TopologyException(spec.declaredAt()
                + ": no cluster secret: expected secret=FILE on the 'cluster' line, FILE readable only by its owner"
                + " (create one with: head -c 32 /dev/urandom | base64 > cluster.secret; chmod 600 cluster.secret)"));
        ClusterCredentials credentials = of(readSecret(file, spec.declaredAt()))
                .withLimits(spec.idleTimeout(), spec.maxConnections());
        if (spec.tls().isPresent()) {
            SecuritySpec.TlsFiles tls = spec.tls().get();
            for (Path p : new Path[] {tls.cert(), tls.key(), tls.ca()}) {
                if (!Files.isReadable(p)) {
                    throw new TopologyException(spec.declaredAt() + ": TLS file " + p
                            + " does not exist or cannot be read: expected a PEM file");
                }
            }
            try {
                credentials = credentials.withTls(
                        SslContextBuilder.forServer(tls.cert().toFile(), tls.key().toFile())
                                .trustManager(tls.ca().toFile()).clientAuth(ClientAuth.REQUIRE).build(),
                        SslContextBuilder.forClient().keyManager(tls.cert().toFile(), tls.key().toFile())
                                .trustManager(tls.ca().toFile()).build());
            } catch (SSLException | IllegalArgumentException e) {
                throw new TopologyException(spec.declaredAt() + ": TLS files " + tls.cert() + ", " + tls.key() + ", "
                        + tls.ca() + " cannot be used: " + e.getMessage()
                        + ": expected a PEM certificate chain, its unencrypted PKCS#8 PEM key and the CA's PEM certificate");
            }
        }
        return credentials;
    }

    /** The secret in a file readable only by its owner, without surrounding whitespace. */
    static byte[] readSecret(Path file, String declaredAt) throws TopologyException {
        String named = "cluster secret file " + file + " (" + declaredAt + ")";
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(file.toString());
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new TopologyException(named + " is not a regular file: expected a file readable only by its"
                        + " owner (create one with: head -c 32 /dev/urandom | base64 > " + file + "; chmod 600 " + file + ")");
            }
            Set<PosixFilePermission> open = EnumSet.copyOf(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
            open.retainAll(EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE));
            if (!open.isEmpty()) {
                throw new TopologyException(named + " is accessible to others than its owner (" + open
                        + "): expected readable only by its owner; run: chmod 600 " + file);
            }
            byte[] raw = Files.readAllBytes(file);
            byte[] secret = new String(raw, StandardCharsets.ISO_8859_1).strip().getBytes(StandardCharsets.ISO_8859_1);
            Arrays.fill(raw, (byte) 0);
            if (secret.length < MIN_SECRET_BYTES) {
                throw new TopologyException(named + " holds " + secret.length + " bytes: expected at least "
                        + MIN_SECRET_BYTES + " (e.g. head -c 32 /dev/urandom | base64 > " + file + "; chmod 600 " + file + ")");
            }
            return secret;
        } catch (NoSuchFileException e) {
            throw new TopologyException(named + " does not exist: expected a file readable only by its owner (create"
                    + " one with: head -c 32 /dev/urandom | base64 > " + file + "; chmod 600 " + file + ")");
        } catch (UnsupportedOperationException e) {
            throw new TopologyException(named + " is on a file system without POSIX permissions: expected one that"
                    + " can make it readable only by its owner");
        } catch (IOException e) {
            throw new TopologyException(named + " cannot be read: " + e);
        }
    }

    byte[] secret() {
        return secret;
    }

    Optional<SslContext> serverTls() {
        return serverTls;
    }

    Optional<SslContext> clientTls() {
        return clientTls;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /**
     * How long a new connection may take to authenticate: half the idle timeout (so an unauthenticated
     * peer is refused, and logged, before it could count as merely idle), at most {@link #MAX_HANDSHAKE}.
     */
    Duration handshakeTimeout() {
        Duration half = idleTimeout.dividedBy(2);
        return half.compareTo(MAX_HANDSHAKE) < 0 ? half : MAX_HANDSHAKE;
    }

    @Override
    public String toString() {
        return "ClusterCredentials[tls=" + serverTls.isPresent() + ", idle " + idleTimeout.toMillis()
                + " ms, at most " + maxConnections + " connections]";
    }
}
