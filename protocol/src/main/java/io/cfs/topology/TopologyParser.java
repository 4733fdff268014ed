package io.cfs.topology;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses the line-per-object topology format. Each line is a keyword, for most an id, then
 * {@code key=value} settings; {@code #} starts a comment:
 *
 * <pre>
 * cluster  block-size=1MiB cluster-size=64KiB secret=cluster.secret
 * metadata address=127.0.0.1:7400 data=meta metrics=127.0.0.1:9400
 * storage  ss1 address=127.0.0.1:7401 data=ss1 metrics=127.0.0.1:9401
 * volume   ss1:v1 capacity=4GiB
 * pair     p1 mode=async master=ss1:v1 mirrors=ss2:v1,ss3:v1
 * mount    host1 metrics=127.0.0.1:9450
 * </pre>
 *
 * The {@code cluster} line also names the cluster secret file ({@code secret=FILE}, required to
 * start anything), optionally TLS PEM files ({@code tls-cert=FILE tls-key=FILE tls-ca=FILE}, all
 * three or none), the idle timeout of connections ({@code idle-timeout=120s}) and the most
 * connections a daemon accepts ({@code max-connections=1024}).
 *
 * <p>{@code metrics=HOST:PORT} (optional) is where a daemon serves Prometheus text at
 * {@code /metrics}; a {@code mount} line gives it for the mount started with {@code --id ID}.
 *
 * <p>Relative {@code data} folders and files are resolved against the folder of the topology file. Every error
 * names the file, the line and what was expected. A line format is used rather than a general
 * config language so that every object, and so every error about it, has exactly one line.
 */
public final class TopologyParser {
    private static final Map<String, Set<String>> KEYS = Map.of(
            "cluster", Set.of("block-size", "cluster-size", "secret", "tls-cert", "tls-key", "tls-ca", "idle-timeout",
                    "max-connections"),
            "metadata", Set.of("address", "data", "metrics"),
            "storage", Set.of("address", "data", "metrics"),
            "volume", Set.of("capacity"),
            "pair", Set.of("mode", "master", "mirrors"),
            "mount", Set.of("metrics"));
    private static final String KEYWORDS = "cluster, metadata, storage, volume, pair, mount";

    private final String source;
    private final Path base;

    /**
     * @param source the name used in error messages (usually the file name)
     * @param base   the folder relative data folders are resolved against
     */
    public TopologyParser(String source, Path base) {
        this.source = source;
        this.base = base;
    }

    private record Line(int number, String keyword, String id, Map<String, String> settings) {}

    public Topology parse(List<String> lines) throws TopologyException {
        List<Line> parsed = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Line line = tokenize(i + 1, lines.get(i));
            if (line != null) {
                parsed.add(line);
            }
        }

        int blockSize = Topology.DEFAULT_BLOCK_SIZE;
        int clusterSize = Topology.DEFAULT_CLUSTER_SIZE;
        int clusterLine = 0;
        SecuritySpec security = new SecuritySpec(Optional.empty(), Optional.empty(),
                SecuritySpec.DEFAULT_IDLE_TIMEOUT, SecuritySpec.DEFAULT_MAX_CONNECTIONS, source);
        String metadataLine = null;
        Map<StorageId, String> storageLines = new HashMap<>();
        MetadataSpec metadata = null;
        Map<StorageId, StorageSpec> storages = new LinkedHashMap<>();
        Map<VolumeAddress, VolumeSpec> volumes = new LinkedHashMap<>();
        Map<VolumeAddress, Integer> volumeLines = new HashMap<>();
        Map<PairId, PairSpec> pairs = new LinkedHashMap<>();
        Map<VolumeAddress, PairId> memberOf = new HashMap<>();
        Map<InetSocketAddress, Integer> addressLines = new HashMap<>();
        Map<MountId, MountSpec> mounts = new LinkedHashMap<>();

        for (Line l : parsed) {
            switch (l.keyword) {
                case "cluster" -> {
                    if (clusterLine != 0) {
                        throw error(l.number, "a second 'cluster' line (the first is line " + clusterLine
                                + "): expected at most one");
                    }
                    clusterLine = l.number;
                    blockSize = (int) size(l, "block-size", Topology.DEFAULT_BLOCK_SIZE, 1 << 30);
                    clusterSize = (int) size(l, "cluster-size", Topology.DEFAULT_CLUSTER_SIZE, 1 << 30);
                    if (Integer.bitCount(blockSize) != 1 || Integer.bitCount(clusterSize) != 1) {
                        throw error(l.number, "block-size and cluster-size must be powers of two");
                    }
                    if (blockSize < clusterSize || clusterSize < 4096) {
                        throw error(l.number, "expected 4KiB <= cluster-size <= block-size, got cluster-size="
                                + clusterSize + " block-size=" + blockSize);
                    }
                    security = security(l);
                }
                case "metadata" -> {
                    if (metadata != null) {
                        throw error(l.number, "a second 'metadata' line: expected exactly one metadata server");
                    }
                    metadata = new MetadataSpec(address(l, "address", addressLines), data(l),
                            metrics(l, addressLines));
                    metadataLine = source + ":" + l.number;
                }
                case "storage" -> {
                    StorageId id = id(l, StorageId::new);
                    if (storages.containsKey(id)) {
                        throw error(l.number, "storage system " + id + " is declared twice: expected unique ids");
                    }
                    storages.put(id, new StorageSpec(id, address(l, "address", addressLines), data(l),
                            metrics(l, addressLines)));
                    storageLines.put(id, source + ":" + l.number);
                }
                case "volume" -> {
                    VolumeAddress address = volumeRef(l, l.id, "volume id");
                    if (!storages.containsKey(address.storage())) {
                        throw error(l.number, "volume " + address + " is on storage system " + address.storage()
                                + ", which is not declared above: expected one of " + storages.keySet());
                    }
                    if (volumes.containsKey(address)) {
                        throw error(l.number, "volume " + address + " is declared twice (first on line "
                                + volumeLines.get(address) + "): expected unique ids per storage system");
                    }
                    long capacity = size(l, "capacity", -1, Long.MAX_VALUE);
                    if (capacity <= 0) {
                        throw error(l.number, "volume " + address + " needs capacity=SIZE (e.g. capacity=4GiB)");
                    }
                    volumes.put(address, new VolumeSpec(address, capacity));
                    volumeLines.put(address, l.number);
                }
                case "pair" -> {
                    PairId id = id(l, PairId::new);
                    if (pairs.containsKey(id)) {
                        throw error(l.number, "pair " + id + " is declared twice: expected unique ids");
                    }
                    PairMode mode = mode(l);
                    VolumeAddress master = member(l, require(l, "master"), volumes, memberOf, id);
                    List<VolumeAddress> mirrors = new ArrayList<>();
                    String list = l.settings.getOrDefault("mirrors", "");
                    for (String m : list.isEmpty() ? new String[0] : list.split(",")) {
                        VolumeAddress mirror = member(l, m.trim(), volumes, memberOf, id);
                        if (volumes.get(mirror).capacity() < volumes.get(master).capacity()) {
                            throw error(l.number, "mirror " + mirror + " (" + volumes.get(mirror).capacity()
                                    + " bytes) is smaller than its master " + master + " ("
                                    + volumes.get(master).capacity() + " bytes): expected at least as large");
                        }
                        mirrors.add(mirror);
                    }
                    pairs.put(id, new PairSpec(id, mode, master, mirrors));
                }
                case "mount" -> {
                    MountId id = id(l, MountId::new);
                    if (mounts.containsKey(id)) {
                        throw error(l.number, "mount " + id + " is declared twice: expected unique ids");
                    }
                    mounts.put(id, new MountSpec(id, address(l, "metrics", addressLines)));
                }
                default -> throw error(l.number, "unknown keyword '" + l.keyword + "': expected one of " + KEYWORDS);
            }
        }
        if (metadata == null) {
            throw new TopologyException(source + ": no 'metadata' line: expected one, e.g. "
                    + "'metadata address=127.0.0.1:7400 data=meta'");
        }
        if (pairs.isEmpty()) {
            throw new TopologyException(source + ": no 'pair' line: expected at least one pair, e.g. "
                    + "'pair p1 mode=sync master=ss1:v1 mirrors=ss2:v1'");
        }
        for (VolumeSpec v : volumes.values()) {
            if (v.capacity() % blockSize != 0) {
                throw error(volumeLines.get(v.address()), "capacity of volume " + v.address() + " ("
                        + v.capacity() + ") is not a multiple of the block size " + blockSize);
            }
        }
        return new Topology(blockSize, clusterSize, metadata, storages, volumes, pairs, security,
                new Origins(metadataLine, storageLines), mounts);
    }

    private Line tokenize(int number, String raw) throws TopologyException {
        int hash = raw.indexOf('#');
        String text = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
        if (text.isEmpty()) {
            return null;
        }
        String[] words = text.split("\\s+");
        String keyword = words[0].toLowerCase(Locale.ROOT);
        Set<String> allowed = KEYS.get(keyword);
        if (allowed == null) {
            throw error(number, "unknown keyword '" + words[0] + "': expected one of " + KEYWORDS);
        }
        boolean hasId = !keyword.equals("cluster") && !keyword.equals("metadata");
        String id = null;
        int first = 1;
        if (hasId) {
            if (words.length < 2 || words[1].contains("=")) {
                throw error(number, "'" + keyword + "' needs an id right after it");
            }
            id = words[1];
            first = 2;
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = first; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq <= 0) {
                throw error(number, "'" + words[i] + "' is not a setting: expected key=value");
            }
            String key = words[i].substring(0, eq);
            if (!allowed.contains(key)) {
                throw error(number, "unknown setting '" + key + "' for '" + keyword + "': expected one of "
                        + allowed.stream().sorted().toList());
            }
            if (settings.put(key, words[i].substring(eq + 1)) != null) {
                throw error(number, "setting '" + key + "' given twice");
            }
        }
        return new Line(number, keyword, id, settings);
    }

    private interface IdFactory<T> {
        T make(String value);
    }

    private <T> T id(Line l, IdFactory<T> factory) throws TopologyException {
        try {
            return factory.make(l.id);
        } catch (IllegalArgumentException e) {
            throw error(l.number, e.getMessage());
        }
    }

    private VolumeAddress volumeRef(Line l, String text, String what) throws TopologyException {
        try {
            return VolumeAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw error(l.number, what + ": " + e.getMessage());
        }
    }

    private VolumeAddress member(Line l, String text, Map<VolumeAddress, VolumeSpec> volumes,
                                 Map<VolumeAddress, PairId> memberOf, PairId pair) throws TopologyException {
        VolumeAddress v = volumeRef(l, text, "pair member");
        if (!volumes.containsKey(v)) {
            throw error(l.number, "pair " + pair + " names volume " + v
                    + ", which is not declared above: expected one of " + volumes.keySet());
        }
        PairId previous = memberOf.putIfAbsent(v, pair);
        if (previous != null) {
            throw error(l.number, "volume " + v + " is already a member of pair " + previous
                    + ": expected each volume in at most one pair, once");
        }
        return v;
    }

    private PairMode mode(Line l) throws TopologyException {
        String mode = require(l, "mode");
        return switch (mode) {
            case "sync" -> PairMode.SYNC;
            case "async" -> PairMode.ASYNC;
            default -> throw error(l.number, "mode '" + mode + "' is invalid: expected sync or async");
        };
    }

    private String require(Line l, String key) throws TopologyException {
        String v = l.settings.get(key);
        if (v == null || v.isEmpty()) {
            throw error(l.number, "'" + l.keyword + "' needs " + key + "=...");
        }
        return v;
    }

    /** The optional {@code metrics=HOST:PORT} of a daemon. */
    private Optional<InetSocketAddress> metrics(Line l, Map<InetSocketAddress, Integer> seen) throws TopologyException {
        return l.settings.containsKey("metrics") ? Optional.of(address(l, "metrics", seen)) : Optional.empty();
    }

    private InetSocketAddress address(Line l, String key, Map<InetSocketAddress, Integer> seen)
            throws TopologyException {
        String text = require(l, key);
        int colon = text.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 1 || port > 65535) {
            throw error(l.number, key + " '" + text + "' is invalid: expected HOST:PORT with a port in 1..65535");
        }
        InetSocketAddress address = InetSocketAddress.createUnresolved(text.substring(0, colon), port);
        Integer previous = seen.putIfAbsent(address, l.number);
        if (previous != null) {
            throw error(l.number, key + " " + text + " is already used on line " + previous
                    + ": expected each daemon and each metrics server on its own port");
        }
        return address;
    }

    private Path data(Line l) throws TopologyException {
        return file(require(l, "data"));
    }

    private Path file(String name) {
        Path p = Path.of(name);
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    private SecuritySpec security(Line l) throws TopologyException {
        Optional<Path> secret = Optional.ofNullable(l.settings.get("secret")).map(this::file);
        String cert = l.settings.get("tls-cert");
        String key = l.settings.get("tls-key");
        String ca = l.settings.get("tls-ca");
        Optional<SecuritySpec.TlsFiles> tls = Optional.empty();
        if (cert != null || key != null || ca != null) {
            if (cert == null || key == null || ca == null || cert.isEmpty() || key.isEmpty() || ca.isEmpty()) {
                throw error(l.number, "TLS needs all of tls-cert=FILE tls-key=FILE tls-ca=FILE (PEM), or none of them");
            }
            tls = Optional.of(new SecuritySpec.TlsFiles(file(cert), file(key), file(ca)));
        }
        Duration idle = SecuritySpec.DEFAULT_IDLE_TIMEOUT;
        String idleText = l.settings.get("idle-timeout");
        if (idleText != null) {
            try {
                idle = parseDuration(idleText);
            } catch (IllegalArgumentException e) {
                throw error(l.number, "idle-timeout=" + idleText + " is invalid: " + e.getMessage());
            }
        }
        int maxConnections = SecuritySpec.DEFAULT_MAX_CONNECTIONS;
        String maxText = l.settings.get("max-connections");
        if (maxText != null) {
            try {
                maxConnections = Integer.parseInt(maxText);
            } catch (NumberFormatException e) {
                maxConnections = 0;
            }
            if (maxConnections < 1) {
                throw error(l.number, "max-connections=" + maxText + " is invalid: expected a whole number >= 1");
            }
        }
        return new SecuritySpec(secret, tls, idle, maxConnections, source + ":" + l.number);
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m} (a positive whole number and a unit). */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 9) {
            throw new IllegalArgumentException("expected a whole number with a unit (ms, s or m), e.g. 120s");
        }
        long n = Long.parseLong(t.substring(0, i));
        Duration d = switch (t.substring(i)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> throw new IllegalArgumentException("unknown unit '" + t.substring(i) + "': expected ms, s or m");
        };
        if (d.isZero()) {
            throw new IllegalArgumentException("expected more than 0");
        }
        return d;
    }

    private long size(Line l, String key, long fallback, long max) throws TopologyException {
        String text = l.settings.get(key);
        if (text == null) {
            return fallback;
        }
        long value;
        try {
            value = parseSize(text);
        } catch (IllegalArgumentException e) {
            throw error(l.number, key + "=" + text + " is invalid: " + e.getMessage());
        }
        if (value <= 0 || value > max) {
            throw error(l.number, key + "=" + text + " is out of range: expected 1.." + max + " bytes");
        }
        return value;
    }

    /** Parses {@code 512}, {@code 64KiB}, {@code 1MiB}, {@code 4GiB}, {@code 1TiB} (K, M, G, T also accepted). */
    public static long parseSize(String text) {
        String t = text.trim();
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0) {
            throw new IllegalArgumentException("expected a number with an optional unit (KiB, MiB, GiB, TiB)");
        }
        long number = Long.parseLong(t.substring(0, i));
        int shift = switch (t.substring(i).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 0;
            case "k", "kib", "kb" -> 10;
            case "m", "mib", "mb" -> 20;
            case "g", "gib", "gb" -> 30;
            case "t", "tib", "tb" -> 40;
            default -> throw new IllegalArgumentException("unknown unit '" + t.substring(i)
                    + "': expected KiB, MiB, GiB or TiB");
        };
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("too large");
        }
        return number << shift;
    }

    private TopologyException error(int line, String message) {
        return new TopologyException(source + ":" + line + ": " + message);
    }
}
