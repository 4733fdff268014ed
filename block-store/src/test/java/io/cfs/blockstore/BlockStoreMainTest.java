package io.cfs.blockstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockStoreMainTest {
    @TempDir
    Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    /** A cluster secret file next to the topologies, and the cluster line naming it. */
    String clusterLine() throws Exception {
        Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        return "cluster secret=cluster.secret\n";
    }

    /** A folder this process cannot create files in: read-only for a user, a /proc folder for root. */
    Path unwritableFolder() throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/proc/self");
        }
        Path p = Files.createDirectories(dir.resolve("read-only"));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r-x------"));
        return p;
    }

    int run(String... args) {
        return BlockStoreMain.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void helpShowsTheOptionsAndTheirDefaults() {
        assertEquals(0, run("--help"));
        String help = out.toString();
        for (String s : new String[] {"--config", "--id", "--io-threads", "--sync-rate", "Default: 2", "Default: 0",
                "--cache-bytes", "Default: 256MiB", "--volume-bandwidth", "--heartbeat-ms", "Default: 1000"}) {
            assertTrue(help.contains(s), "help lacks '" + s + "':\n" + help);
        }
    }

    @Test
    void aBadSizeOrIntervalExitsWith2NamingTheOption() throws Exception {
        Path config = dir.resolve("c.topology");
        Files.writeString(config, "metadata address=127.0.0.1:7400 data=meta\nstorage ss1 address=127.0.0.1:7401 data=ss1\n");
        assertEquals(2, run("--config", config.toString(), "--id", "ss1", "--cache-bytes", "12XB"));
        assertTrue(err.toString().contains("--cache-bytes") && err.toString().contains("12XB"), err.toString());
        assertEquals(2, run("--config", config.toString(), "--id", "ss1", "--volume-bandwidth", "fast"));
        assertTrue(err.toString().contains("--volume-bandwidth"), err.toString());
        assertEquals(2, run("--config", config.toString(), "--id", "ss1", "--heartbeat-ms", "0"));
        assertTrue(err.toString().contains("--heartbeat-ms 0"), err.toString());
    }

    @Test
    void aBadTopologyExitsWith2NamingTheLine() throws Exception {
        Path config = dir.resolve("bad.topology");
        Files.writeString(config, "metadata address=127.0.0.1:7400 data=meta\nstorage ss1 adress=127.0.0.1:7401\n");
        assertEquals(2, run("--config", config.toString(), "--id", "ss1"));
        assertTrue(err.toString().contains("bad.topology:2:"), err.toString());
    }

    @Test
    void anIdNotInTheTopologyOrAMissingFileExitsWith2() throws Exception {
        Path config = dir.resolve("c.topology");
        Files.writeString(config, clusterLine() + """
                metadata address=127.0.0.1:7400 data=meta
                storage ss1 address=127.0.0.1:7401 data=ss1
                volume ss1:v1 capacity=1MiB
                pair p1 mode=sync master=ss1:v1
                """);
        assertEquals(2, run("--config", config.toString(), "--id", "ss7"));
        assertTrue(err.toString().contains("ss7") && err.toString().contains("[ss1]"), err.toString());
        assertEquals(2, run("--config", dir.resolve("missing").toString(), "--id", "ss1"));
        assertTrue(err.toString().contains("missing"), err.toString());
        assertEquals(2, run("--config", config.toString()), "--id is required");
    }

    @Test
    void aPortInUseExitsWith1WithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path config = dir.resolve("c.topology");
            Files.writeString(config, clusterLine() + """
                    metadata address=127.0.0.1:7400 data=meta
                    storage ss1 address=127.0.0.1:%d data=ss1
                    volume ss1:v1 capacity=1MiB
                    pair p1 mode=sync master=ss1:v1
                    """.formatted(taken.getLocalPort()));
            assertEquals(1, run("--config", config.toString(), "--id", "ss1"));
            int port = taken.getLocalPort();
            assertTrue(err.toString().contains("cannot listen on 127.0.0.1:" + port + " (" + config + ":3): port "
                    + port + " is already in use by another process (see it with: ss -ltnp 'sport = :" + port + "')"),
                    err.toString());
        }
    }

    @Test
    void anUnwritableDataFolderExitsWith1NamingTheLine() throws Exception {
        Path folder = unwritableFolder();
        Path config = dir.resolve("c.topology");
        Files.writeString(config, clusterLine() + """
                metadata address=127.0.0.1:7400 data=meta
                storage ss1 address=127.0.0.1:7401 data=%s
                volume ss1:v1 capacity=1MiB
                pair p1 mode=sync master=ss1:v1
                """.formatted(folder));
        assertEquals(1, run("--config", config.toString(), "--id", "ss1"));
        assertTrue(err.toString().contains("data folder " + folder + " (" + config + ":3) is not writable"), err.toString());
    }

    @Test
    void aSecretFileOthersCanReadExitsWith2SayingHowToFixIt() throws Exception {
        Path config = dir.resolve("c.topology");
        Files.writeString(config, clusterLine() + """
                metadata address=127.0.0.1:7400 data=meta
                storage ss1 address=127.0.0.1:7401 data=ss1
                volume ss1:v1 capacity=1MiB
                pair p1 mode=sync master=ss1:v1
                """);
        Path secret = dir.resolve("cluster.secret");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(2, run("--config", config.toString(), "--id", "ss1"));
        assertTrue(err.toString().contains("cluster secret file " + secret + " (" + config + ":1)")
                && err.toString().contains("run: chmod 600 " + secret), err.toString());
    }
}
