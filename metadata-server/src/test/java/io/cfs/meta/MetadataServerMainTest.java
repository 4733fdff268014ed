package io.cfs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataServerMainTest {
    @TempDir
    Path dir;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut;
    PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    Path topology(int port) throws Exception {
        return topology(port, "meta");
    }

    /** A topology with a cluster secret file: line 1 the cluster, line 2 the metadata server. */
    Path topology(int port, String data) throws Exception {
        Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path file = dir.resolve("cluster.topology");
        Files.write(file, List.of(
                "cluster secret=cluster.secret",
                "metadata address=127.0.0.1:" + port + " data=" + data,
                "storage ss1 address=127.0.0.1:7498 data=ss1",
                "volume ss1:v1 capacity=4MiB",
                "pair p1 mode=sync master=ss1:v1"));
        return file;
    }

    @Test
    void helpShowsTheOptionsAndDefaults() {
        assertEquals(0, MetadataServerMain.run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--config=FILE"), help);
        assertTrue(help.contains("Default: meta"), help);
        assertTrue(help.contains("--lease-ms=MS") && help.contains("--storage-timeout-ms=MS")
                && help.contains("--snapshot-every=RECORDS"), help);
    }

    @Test
    void aBadOptionValueExitsWith1AndSaysWhy() throws Exception {
        Path file = topology(7497);
        assertEquals(1, MetadataServerMain.run("--config", file.toString(), "--lease-ms", "0"));
        assertTrue(err().contains("lease PT0S: expected 1 ms to"), err());
    }

    @Test
    void aBadTopologyExitsWith2AndNamesTheLine() throws Exception {
        Path file = dir.resolve("bad.topology");
        Files.write(file, List.of("metadata address=127.0.0.1:7400 data=meta", "pair p1 mode=fast master=ss1:v1"));
        assertEquals(2, MetadataServerMain.run("--config", file.toString()));
        assertTrue(err().contains(file + ":2: mode 'fast' is invalid"), err());
    }

    @Test
    void aMissingTopologyExitsWith2() {
        assertEquals(2, MetadataServerMain.run("--config", dir.resolve("none").toString()));
        assertTrue(err().contains("does not exist"), err());
    }

    @Test
    void anAddressInUseExitsWith1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path file = topology(taken.getLocalPort());
            assertEquals(1, MetadataServerMain.run("--config", file.toString(), "--id", "m1"));
            int port = taken.getLocalPort();
            assertTrue(err().contains("metadata server m1 cannot start: cannot listen on 127.0.0.1:" + port + " ("
                    + file + ":2): port " + port + " is already in use by another process (see it with: ss -ltnp"), err());
        }
    }

    @Test
    void anUnwritableDataFolderExitsWith1NamingTheLine() throws Exception {
        Path folder;
        if ("root".equals(System.getProperty("user.name"))) {
            folder = Path.of("/proc/self"); // root may write anywhere else
        } else {
            folder = Files.createDirectories(dir.resolve("read-only"));
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-x------"));
        }
        Path file = topology(7496, folder.toString());
        assertEquals(1, MetadataServerMain.run("--config", file.toString()));
        assertTrue(err().contains("data folder " + folder + " (" + file + ":2) is not writable"), err());
    }

    @Test
    void aTopologyWithoutASecretExitsWith2SayingWhatIsExpected() throws Exception {
        Path file = dir.resolve("open.topology");
        Files.write(file, List.of(
                "metadata address=127.0.0.1:7495 data=meta",
                "storage ss1 address=127.0.0.1:7498 data=ss1",
                "volume ss1:v1 capacity=4MiB",
                "pair p1 mode=sync master=ss1:v1"));
        assertEquals(2, MetadataServerMain.run("--config", file.toString()));
        assertTrue(err().contains("no cluster secret: expected secret=FILE on the 'cluster' line"), err());
    }

    @Test
    void aCorruptJournalExitsWith1() throws Exception {
        Path file = topology(7499);
        Path journal = dir.resolve("meta").resolve("journal");
        Files.createDirectories(journal);
        Files.write(journal.resolve("journal.log"), "this is not a journal at all, just some plain text".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, MetadataServerMain.run("--config", file.toString()));
        assertTrue(err().contains("not a CFS journal"), err());
    }

    @Test
    void aMissingOptionIsAUsageError() {
        assertEquals(2, MetadataServerMain.run());
        assertTrue(err().contains("--config"), err());
    }
}
