package io.cfs.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopologyParserTest {
    private static final String NAME = "cluster.topo";
    private static final Path BASE = Path.of("/srv/cfs");

    /** A valid file using every keyword, comments, blank lines and size units. */
    private static final List<String> VALID = List.of(
            "# A CFS cluster for tests",                                           // 1
            "",                                                                    // 2
            "cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret   # the defaults, written", // 3
            "metadata address=127.0.0.1:7400 data=meta",                           // 4
            "   # storage systems",                                                // 5
            "storage  ss1 address=127.0.0.1:7401 data=ss1",                        // 6
            "storage  ss2 address=10.0.0.2:7401 data=/var/lib/cfs/ss2",            // 7
            "storage  ss3 address=node3:7403 data=disks/../ss3",                   // 8
            "volume   ss1:v1 capacity=4GiB",                                       // 9
            "volume   ss1:v2 capacity=4GiB",                                       // 10
            "volume   ss1:v3 capacity=2GiB",                                       // 11
            "volume   ss2:v1 capacity=8GiB",                                       // 12
            "volume   ss3:v1 capacity=1MiB",                                       // 13
            "volume   ss2:v2 capacity=1048576",                                    // 14
            "pair     p1 mode=sync master=ss1:v1 mirrors=ss1:v2,ss2:v1",           // 15
            "pair     p2 mode=async master=ss3:v1 mirrors=ss2:v2 # same size",     // 16
            "pair     solo mode=async master=ss1:v3");                             // 17

    /** A mutable copy of the valid file. */
    private static List<String> valid() {
        return new ArrayList<>(VALID);
    }

    private static Topology parse(List<String> lines) throws TopologyException {
        return new TopologyParser(NAME, BASE).parse(lines);
    }

    private static VolumeAddress va(String s) {
        return VolumeAddress.parse(s);
    }

    @Test
    void validFileParsesIntoTheExpectedRecords() throws TopologyException {
        Topology t = parse(valid());

        StorageId ss1 = new StorageId("ss1");
        StorageId ss2 = new StorageId("ss2");
        StorageId ss3 = new StorageId("ss3");
        Topology expected = new Topology(1 << 20, 64 << 10,
                new MetadataSpec(InetSocketAddress.createUnresolved("127.0.0.1", 7400), Path.of("/srv/cfs/meta")),
                Map.of(ss1, new StorageSpec(ss1, InetSocketAddress.createUnresolved("127.0.0.1", 7401), Path.of("/srv/cfs/ss1")),
                        ss2, new StorageSpec(ss2, InetSocketAddress.createUnresolved("10.0.0.2", 7401), Path.of("/var/lib/cfs/ss2")),
                        ss3, new StorageSpec(ss3, InetSocketAddress.createUnresolved("node3", 7403), Path.of("/srv/cfs/ss3"))),
                Map.of(va("ss1:v1"), new VolumeSpec(va("ss1:v1"), 4L << 30),
                        va("ss1:v2"), new VolumeSpec(va("ss1:v2"), 4L << 30),
                        va("ss1:v3"), new VolumeSpec(va("ss1:v3"), 2L << 30),
                        va("ss2:v1"), new VolumeSpec(va("ss2:v1"), 8L << 30),
                        va("ss3:v1"), new VolumeSpec(va("ss3:v1"), 1L << 20),
                        va("ss2:v2"), new VolumeSpec(va("ss2:v2"), 1L << 20)),
                Map.of(new PairId("p1"), new PairSpec(new PairId("p1"), PairMode.SYNC, va("ss1:v1"),
                                List.of(va("ss1:v2"), va("ss2:v1"))),
                        new PairId("p2"), new PairSpec(new PairId("p2"), PairMode.ASYNC, va("ss3:v1"),
                                List.of(va("ss2:v2"))),
                        new PairId("solo"), new PairSpec(new PairId("solo"), PairMode.ASYNC, va("ss1:v3"), List.of())),
                new SecuritySpec(Optional.of(Path.of("/srv/cfs/cluster.secret")), Optional.empty(),
                        SecuritySpec.DEFAULT_IDLE_TIMEOUT, SecuritySpec.DEFAULT_MAX_CONNECTIONS, NAME + ":3"),
                new Origins(NAME + ":4", Map.of(ss1, NAME + ":6", ss2, NAME + ":7", ss3, NAME + ":8")),
                Map.of());
        assertEquals(expected, t);

        // Spot checks of what the record comparison covers, for readable failures.
        assertEquals(Path.of("/srv/cfs/meta"), t.metadata().data(), "relative data folder resolves against the base");
        assertEquals(Path.of("/var/lib/cfs/ss2"), t.storage(ss2).data(), "absolute data folder is kept");
        PairSpec p1 = t.pair(new PairId("p1"));
        assertEquals(va("ss1:v2"), p1.member(1), "mirror on the master's own storage system");
        assertEquals(va("ss2:v1"), p1.member(2), "mirror on another storage system");
        assertEquals(List.of(va("ss1:v1"), va("ss1:v2"), va("ss2:v1")), p1.members());
        assertEquals(Optional.of(p1), t.pairOf(va("ss2:v1")));
        assertEquals(List.of(va("ss1:v1"), va("ss1:v2"), va("ss1:v3")),
                t.volumesOf(ss1).stream().map(VolumeSpec::address).toList());
        assertEquals(List.of("p1", "p2", "solo"), t.sortedPairs().stream().map(p -> p.id().value()).toList());
    }

    @Test
    void defaultsApplyWithoutAClusterLine() throws TopologyException {
        Topology t = parse(List.of(
                "metadata address=h:1 data=m",
                "storage s address=h:2 data=s",
                "volume s:v capacity=1GiB",
                "pair p mode=sync master=s:v"));
        assertEquals(Topology.DEFAULT_BLOCK_SIZE, t.blockSize());
        assertEquals(Topology.DEFAULT_CLUSTER_SIZE, t.clusterSize());
        assertEquals(Optional.empty(), t.security().secret(), "no secret: refused when credentials are loaded");
        assertEquals(1L << 30, t.volume(va("s:v")).capacity());
    }

    @Test
    void loadReadsAFileAndResolvesAgainstItsFolder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cfs.topology");
        Files.write(file, valid());
        Topology t = Topology.load(file);
        assertEquals(dir.toAbsolutePath().resolve("meta"), t.metadata().data());
        assertEquals(dir.toAbsolutePath().resolve("ss1"), t.storage(new StorageId("ss1")).data());

        List<String> bad = valid();
        bad.set(5, "storage  ss1 adress=127.0.0.1:7401 data=ss1");
        Files.write(file, bad);
        TopologyException e = assertThrows(TopologyException.class, () -> Topology.load(file));
        assertTrue(e.getMessage().startsWith(file + ":6: "), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "512|512", "64KiB|65536", "1MiB|1048576", "4GiB|4294967296", "1TiB|1099511627776",
            "2k|2048", "3M|3145728", "5g|5368709120", "1t|1099511627776", "7KB|7168", "9b|9", " 12 |12"})
    void sizes(String text, long bytes) {
        assertEquals(bytes, TopologyParser.parseSize(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "-1", "1.5GiB", "12XB", "1 GiB", "99999999999TiB", "0x10"})
    void badSizes(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopologyParser.parseSize(text));
        assertFalse(e.getMessage() == null || e.getMessage().isBlank());
    }

    // ---- errors: each names the file, the line, and what was expected ----

    /** Parses {@code valid()} with line {@code number} (1-based) replaced, or inserted before it. */
    private static TopologyException errorWith(int number, String line, boolean insert, String phrase) {
        List<String> lines = valid();
        if (insert) {
            lines.add(number - 1, line);
        } else {
            lines.set(number - 1, line);
        }
        return assertError(lines, NAME + ":" + number + ": ", phrase);
    }

    private static TopologyException assertError(List<String> lines, String prefix, String phrase) {
        TopologyException e = assertThrows(TopologyException.class, () -> parse(lines),
                "accepted:\n" + String.join("\n", lines));
        String m = e.getMessage();
        assertTrue(m.startsWith(prefix), "'" + m + "' should start with '" + prefix + "'");
        assertTrue(m.contains(phrase), "'" + m + "' should contain '" + phrase + "'");
        return e;
    }

    private static TopologyException replaced(int number, String line, String phrase) {
        return errorWith(number, line, false, phrase);
    }

    private static TopologyException inserted(int number, String line, String phrase) {
        return errorWith(number, line, true, phrase);
    }

    @Test
    void securitySettingsOfTheClusterLine() throws TopologyException {
        List<String> lines = valid();
        lines.set(2, "cluster secret=/etc/cfs/secret tls-cert=tls/node.pem tls-key=tls/node.key tls-ca=/etc/cfs/ca.pem"
                + " idle-timeout=1500ms max-connections=7");
        SecuritySpec s = parse(lines).security();
        assertEquals(Optional.of(Path.of("/etc/cfs/secret")), s.secret());
        assertEquals(Optional.of(new SecuritySpec.TlsFiles(Path.of("/srv/cfs/tls/node.pem"),
                Path.of("/srv/cfs/tls/node.key"), Path.of("/etc/cfs/ca.pem"))), s.tls());
        assertEquals(java.time.Duration.ofMillis(1500), s.idleTimeout());
        assertEquals(7, s.maxConnections());
        lines.set(2, "cluster idle-timeout=2m");
        assertEquals(java.time.Duration.ofMinutes(2), parse(lines).security().idleTimeout());
    }

    @Test
    void tlsNeedsAllThreeFiles() {
        replaced(3, "cluster secret=s tls-cert=a.pem tls-key=a.key",
                "TLS needs all of tls-cert=FILE tls-key=FILE tls-ca=FILE (PEM), or none of them");
        replaced(3, "cluster secret=s tls-ca=ca.pem", "TLS needs all of");
        replaced(3, "cluster secret=s tls-cert= tls-key=a.key tls-ca=ca.pem", "TLS needs all of");
    }

    @Test
    void badIdleTimeoutOrMaxConnections() {
        replaced(3, "cluster secret=s idle-timeout=0s", "idle-timeout=0s is invalid: expected more than 0");
        replaced(3, "cluster secret=s idle-timeout=5", "idle-timeout=5 is invalid: unknown unit ''");
        replaced(3, "cluster secret=s idle-timeout=soon", "idle-timeout=soon is invalid: expected a whole number");
        replaced(3, "cluster secret=s max-connections=0", "max-connections=0 is invalid: expected a whole number >= 1");
        replaced(3, "cluster secret=s max-connections=many", "max-connections=many is invalid");
    }

    @Test
    void theBaseFileIsValid() throws TopologyException {
        // The error tests below change one line of it; this makes sure that line is the reason.
        assertEquals(3, parse(valid()).pairs().size());
    }

    @Test
    void unknownKeyword() {
        replaced(5, "node n1 address=1.2.3.4:5", "unknown keyword 'node': expected one of cluster, metadata, storage, volume, pair");
        inserted(2, "volumes ss1:v9 capacity=1GiB", "unknown keyword 'volumes'");
    }

    @Test
    void unknownSetting() {
        replaced(6, "storage  ss1 adress=127.0.0.1:7401 data=ss1", "unknown setting 'adress' for 'storage': expected one of [address, data, metrics]");
        replaced(9, "volume   ss1:v1 capacity=4GiB size=1", "unknown setting 'size' for 'volume'");
        replaced(3, "cluster block-size=1MiB blocksize=1MiB", "unknown setting 'blocksize' for 'cluster'");
        replaced(9, "volume   ss1:v1 capacity", "'capacity' is not a setting: expected key=value");
        replaced(9, "volume   ss1:v1 capacity=4GiB capacity=4GiB", "setting 'capacity' given twice");
    }

    @Test
    void missingId() {
        replaced(6, "storage address=127.0.0.1:7401 data=ss1", "'storage' needs an id right after it");
        replaced(9, "volume capacity=4GiB", "'volume' needs an id right after it");
        replaced(16, "pair", "'pair' needs an id right after it");
    }

    @Test
    void badId() {
        replaced(6, "storage SS1 address=127.0.0.1:7401 data=ss1",
                "storage system id 'SS1' is invalid: expected a lowercase letter then up to 31 of [a-z0-9_-]");
        replaced(6, "storage 1ss address=127.0.0.1:7401 data=ss1", "storage system id '1ss' is invalid");
        replaced(9, "volume ss1:V1 capacity=4GiB", "volume id 'V1' is invalid");
        replaced(9, "volume ss1-v1 capacity=4GiB", "volume id: volume 'ss1-v1' is invalid: expected STORAGE:VOLUME");
        replaced(16, "pair P_2 mode=async master=ss3:v1", "pair id 'P_2' is invalid");
        replaced(16, "pair p2 mode=async master=ss3v1", "pair member: volume 'ss3v1' is invalid: expected STORAGE:VOLUME");
        replaced(16, "pair p2 mode=async master=ss3:v1 mirrors=ss2:v2,,ss1:v2", "volume '' is invalid");
    }

    @Test
    void duplicateStorageId() {
        inserted(8, "storage ss1 address=127.0.0.1:7999 data=other", "storage system ss1 is declared twice");
    }

    @Test
    void duplicateVolume() {
        inserted(12, "volume ss1:v2 capacity=4GiB", "volume ss1:v2 is declared twice (first on line 10)");
    }

    @Test
    void volumeOnAnUnknownStorageSystem() {
        inserted(10, "volume ss9:v1 capacity=4GiB", "volume ss9:v1 is on storage system ss9, which is not declared above");
        // Declared later is not declared above.
        List<String> lines = valid();
        lines.add(lines.remove(5)); // storage ss1 moves to the end
        assertError(lines, NAME + ":8: ", "storage system ss1, which is not declared above");
    }

    @Test
    void pairNamingAnUnknownVolume() {
        replaced(16, "pair p2 mode=async master=ss3:v9 mirrors=ss2:v2", "pair p2 names volume ss3:v9, which is not declared above");
        replaced(16, "pair p2 mode=async master=ss3:v1 mirrors=ss2:v2,ss9:v1", "pair p2 names volume ss9:v1");
    }

    @Test
    void volumeInTwoPairs() {
        replaced(16, "pair p2 mode=async master=ss3:v1 mirrors=ss2:v1", "volume ss2:v1 is already a member of pair p1");
        replaced(16, "pair p2 mode=async master=ss1:v1", "volume ss1:v1 is already a member of pair p1");
        replaced(16, "pair p2 mode=async master=ss3:v1 mirrors=ss3:v1", "volume ss3:v1 is already a member of pair p2");
        replaced(16, "pair p2 mode=async master=ss3:v1 mirrors=ss2:v2,ss2:v2", "volume ss2:v2 is already a member of pair p2");
    }

    @Test
    void duplicatePair() {
        inserted(17, "pair p1 mode=sync master=ss2:v2", "pair p1 is declared twice");
    }

    @Test
    void mirrorSmallerThanItsMaster() {
        // ss1:v3 (2 GiB) becomes a mirror of ss1:v1 (4 GiB).
        List<String> lines = valid();
        lines.set(14, "pair     p1 mode=sync master=ss1:v1 mirrors=ss1:v3,ss2:v1");
        lines.set(16, "pair     solo mode=async master=ss1:v2");
        assertError(lines, NAME + ":15: ", "mirror ss1:v3 (2147483648 bytes) is smaller than its master ss1:v1 (4294967296 bytes)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mode=fast", "mode=SYNC", "mode=", "mode=a-sync"})
    void modeNotSyncOrAsync(String mode) {
        String phrase = mode.equals("mode=") ? "'pair' needs mode=..." : "mode '" + mode.substring(5)
                + "' is invalid: expected sync or async";
        replaced(16, "pair p2 " + mode + " master=ss3:v1 mirrors=ss2:v2", phrase);
    }

    @Test
    void missingModeOrMaster() {
        replaced(16, "pair p2 master=ss3:v1 mirrors=ss2:v2", "'pair' needs mode=...");
        replaced(16, "pair p2 mode=sync mirrors=ss2:v2", "'pair' needs master=...");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-5",
            "127.0.0.1:http", ":7401", "127.0.0.1:99999999999"})
    void badAddressOrPort(String address) {
        replaced(6, "storage ss1 address=" + address + " data=ss1",
                "address '" + address + "' is invalid: expected HOST:PORT with a port in 1..65535");
    }

    @Test
    void missingAddressOrData() {
        replaced(6, "storage ss1 data=ss1", "'storage' needs address=...");
        replaced(6, "storage ss1 address=127.0.0.1:7401", "'storage' needs data=...");
        replaced(4, "metadata address=127.0.0.1:7400", "'metadata' needs data=...");
        replaced(4, "metadata data=meta", "'metadata' needs address=...");
    }

    @Test
    void duplicateAddress() {
        replaced(7, "storage ss2 address=127.0.0.1:7400 data=ss2", "address 127.0.0.1:7400 is already used on line 4");
        replaced(7, "storage ss2 address=127.0.0.1:7401 data=ss2", "address 127.0.0.1:7401 is already used on line 6");
    }

    @Test
    void metricsAddressesOfDaemonsAndMounts() throws TopologyException {
        List<String> lines = valid();
        lines.set(3, "metadata address=127.0.0.1:7400 data=meta metrics=127.0.0.1:9400");
        lines.set(5, "storage  ss1 address=127.0.0.1:7401 data=ss1 metrics=0.0.0.0:9401");
        lines.add("mount    host1 metrics=127.0.0.1:9450");
        lines.add("mount    host-2 metrics=10.0.0.9:9450 # another host, same port");
        Topology t = parse(lines);
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 9400)), t.metadata().metrics());
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("0.0.0.0", 9401)),
                t.storage(new StorageId("ss1")).metrics());
        assertEquals(Optional.empty(), t.storage(new StorageId("ss2")).metrics(), "metrics= is optional");
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 9450)), t.mountMetrics("host1"));
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("10.0.0.9", 9450)), t.mountMetrics("host-2"));
        assertEquals(Optional.empty(), t.mountMetrics("host3"), "a mount not declared serves no metrics");
        assertEquals(2, t.mounts().size());
    }

    @Test
    void badMetricsAddresses() {
        replaced(6, "storage ss1 address=127.0.0.1:7401 data=ss1 metrics=127.0.0.1",
                "metrics '127.0.0.1' is invalid: expected HOST:PORT with a port in 1..65535");
        List<String> clash = valid();
        clash.set(3, "metadata address=127.0.0.1:7400 data=meta metrics=127.0.0.1:7401");
        assertError(clash, NAME + ":6: ", "address 127.0.0.1:7401 is already used on line 4: expected each daemon"
                + " and each metrics server on its own port");
        replaced(6, "storage ss1 address=127.0.0.1:7401 data=ss1 metrics=127.0.0.1:7401",
                "metrics 127.0.0.1:7401 is already used on line 6");
        inserted(18, "mount host1", "'mount' needs metrics=...");
        inserted(18, "mount metrics=127.0.0.1:9450", "'mount' needs an id right after it");
        inserted(18, "mount Host1 metrics=127.0.0.1:9450", "mount id 'Host1' is invalid");
        inserted(18, "mount host1 metrics=127.0.0.1:9450 data=x", "unknown setting 'data' for 'mount': expected one of [metrics]");
        List<String> twice = valid();
        twice.add("mount host1 metrics=127.0.0.1:9450");
        twice.add("mount host1 metrics=127.0.0.1:9451");
        assertError(twice, NAME + ":19: ", "mount host1 is declared twice");
        inserted(1, "mounts host1 metrics=127.0.0.1:9450",
                "unknown keyword 'mounts': expected one of cluster, metadata, storage, volume, pair, mount");
    }

    @Test
    void capacityNotAMultipleOfTheBlockSize() {
        replaced(13, "volume   ss3:v1 capacity=1000000",
                "capacity of volume ss3:v1 (1000000) is not a multiple of the block size 1048576");
        // The check also applies with a block size given after the volumes.
        List<String> lines = valid();
        lines.set(2, "");
        lines.add("cluster block-size=8MiB cluster-size=64KiB");
        assertError(lines, NAME + ":13: ", "capacity of volume ss3:v1 (1048576) is not a multiple of the block size 8388608");
    }

    @Test
    void missingOrZeroCapacity() {
        replaced(9, "volume ss1:v1", "volume ss1:v1 needs capacity=SIZE");
        replaced(9, "volume ss1:v1 capacity=0", "capacity=0 is out of range");
        replaced(9, "volume ss1:v1 capacity=lots", "capacity=lots is invalid");
    }

    @Test
    void clusterSizeAboveBlockSize() {
        replaced(3, "cluster block-size=64KiB cluster-size=1MiB", "expected 4KiB <= cluster-size <= block-size, got cluster-size=1048576 block-size=65536");
        replaced(3, "cluster cluster-size=2KiB", "expected 4KiB <= cluster-size");
        replaced(3, "cluster block-size=3MiB", "block-size and cluster-size must be powers of two");
        replaced(3, "cluster block-size=2GiB", "block-size=2GiB is out of range");
        inserted(5, "cluster block-size=1MiB", "a second 'cluster' line (the first is line 3)");
    }

    @Test
    void secondMetadataLine() {
        inserted(5, "metadata address=127.0.0.1:7500 data=meta2", "a second 'metadata' line");
    }

    @Test
    void missingMetadataLine() {
        List<String> lines = valid();
        lines.set(3, "# no metadata here");
        // A missing line has no line number: the message names the file and what was expected.
        assertError(lines, NAME + ": ", "no 'metadata' line: expected one");
    }

    @Test
    void noPairs() {
        List<String> lines = new ArrayList<>(valid().subList(0, 14));
        assertError(lines, NAME + ": ", "no 'pair' line: expected at least one pair");
        assertError(List.of(), NAME + ": ", "no 'metadata' line");
    }

    @Test
    void errorsNameTheFirstBadLine() {
        List<String> lines = valid();
        lines.set(8, "volume ss1:v1 capacity=4GiB colour=red");
        lines.set(13, "frobnicate");
        assertError(lines, NAME + ":9: ", "unknown setting 'colour'");
    }
}
