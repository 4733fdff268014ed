package io.cfs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the cluster secret and the TLS files the topology names, and refusing unsafe ones. */
class ClusterCredentialsTest {
    @TempDir
    Path dir;

    Topology topology(String clusterLine) throws Exception {
        Path file = dir.resolve("cluster.conf");
        Files.write(file, List.of(clusterLine,
                "metadata address=127.0.0.1:7400 data=meta",
                "storage ss1 address=127.0.0.1:7401 data=ss1",
                "volume ss1:v1 capacity=4MiB",
                "pair p1 mode=sync master=ss1:v1"));
        return Topology.load(file);
    }

    Path secret(String content, String mode) throws Exception {
        Path p = dir.resolve("cluster.secret");
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    String refusal(String clusterLine) {
        return assertThrows(TopologyException.class, () -> ClusterCredentials.load(topology(clusterLine))).getMessage();
    }

    @Test
    void anOwnerOnlySecretIsReadWithoutItsTrailingNewlineWithTheLimitsOfTheClusterLine() throws Exception {
        secret("0123456789abcdef-secret\n", "rw-------");
        ClusterCredentials c = ClusterCredentials.load(
                topology("cluster secret=cluster.secret idle-timeout=3s max-connections=9"));
        assertEquals("0123456789abcdef-secret", new String(c.secret(), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(Duration.ofSeconds(3), c.idleTimeout());
        assertEquals(9, c.maxConnections());
        assertTrue(c.serverTls().isEmpty() && c.clientTls().isEmpty());
        secret("0123456789abcdef-secret", "r--------");
        assertEquals(23, ClusterCredentials.load(topology("cluster secret=cluster.secret")).secret().length);
    }

    @Test
    void aSecretOthersCanReadIsRefusedSayingHowToFixIt() throws Exception {
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw-------".replace("------", "-----w"))) {
            Path p = secret("0123456789abcdef-secret", mode);
            String m = refusal("cluster secret=cluster.secret");
            assertTrue(m.startsWith("cluster secret file " + p + " (" + dir.resolve("cluster.conf") + ":1)")
                    && m.contains("expected readable only by its owner; run: chmod 600 " + p), mode + ": " + m);
        }
    }

    @Test
    void aShortMissingOrNonFileSecretIsRefused() throws Exception {
        secret("short  \n", "rw-------");
        String m = refusal("cluster secret=cluster.secret");
        assertTrue(m.contains("holds 5 bytes: expected at least 16"), m);
        m = refusal("cluster secret=none.secret");
        assertTrue(m.contains("none.secret (" + dir.resolve("cluster.conf")
                + ":1) does not exist: expected a file readable only by its owner"), m);
        Files.createDirectories(dir.resolve("folder"));
        m = refusal("cluster secret=folder");
        assertTrue(m.contains("is not a regular file"), m);
        m = refusal("cluster block-size=1MiB");
        assertTrue(m.contains(dir.resolve("cluster.conf") + ":1: no cluster secret: expected secret=FILE on the 'cluster'"
                + " line"), m);
    }

    @Test
    void unusableTlsFilesAreRefused() throws Exception {
        secret("0123456789abcdef-secret", "rw-------");
        Files.writeString(dir.resolve("bad.pem"), "not a certificate");
        String missing = refusal("cluster secret=cluster.secret tls-cert=none.pem tls-key=k.pem tls-ca=ca.pem");
        assertTrue(missing.contains("TLS file " + dir.resolve("none.pem") + " does not exist or cannot be read"), missing);
        String bad = refusal("cluster secret=cluster.secret tls-cert=bad.pem tls-key=bad.pem tls-ca=bad.pem");
        assertTrue(bad.contains("cannot be used") && bad.contains("expected a PEM certificate chain"), bad);
    }

    @Test
    void pemFilesMakeTlsContexts() throws Exception {
        secret("0123456789abcdef-secret", "rw-------");
        AuthenticationTest.certificates(dir, "node");
        ClusterCredentials c = ClusterCredentials.load(
                topology("cluster secret=cluster.secret tls-cert=node.pem tls-key=node.key tls-ca=node-ca.pem"));
        assertTrue(c.serverTls().orElseThrow().isServer());
        assertTrue(c.clientTls().orElseThrow().isClient());
    }
}
