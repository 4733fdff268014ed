package io.cfs.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.MemberStatus;
import io.cfs.protocol.message.SessionStatus;
import io.cfs.protocol.message.StatusReply;
import io.cfs.protocol.message.StatusRequest;
import io.cfs.protocol.message.StorageStatus;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.topology.PairSpec;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeAddress;
import io.cfs.topology.VolumeSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cfs status}: storage systems, pairs with their members, the Usage Table and client sessions. */
@Command(name = "status", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = AdminMain.Version.class,
        description = {"Show the cluster: storage systems (up/down, address, capacity used), pairs with each member's "
                + "opens (the Usage Table), invalid clusters and resync progress (rate, time left), and client sessions.",
                "Exit codes: 0 shown (or synced), 1 cannot reach the cluster or --wait-synced timed out, 2 bad usage."})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "print JSON instead of tables")
    boolean json;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "2", paramLabel = "SECONDS",
            description = "refresh in place every SECONDS (default 2 when given without a value) until interrupted; "
                    + "into a pipe, a timestamped snapshot each time (with --json, one document per line)")
    Integer watchSeconds;

    @Option(names = "--wait-synced",
            description = "wait until no mirror has invalid clusters, showing the resync's progress, then exit 0")
    boolean waitSynced;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "with --wait-synced: give up (exit 1) after this long")
    long timeoutSeconds;

    /** The status as printed by --json. */
    record Status(List<Storage> storages, List<Pair> pairs, List<SessionStatus> sessions) {}

    /**
     * A storage system: its volumes' capacity and the bytes the metadata server has allocated on
     * them (for a mirror, the same as on its master), and its cluster cache.
     */
    record Storage(String id, String address, boolean up, long heartbeatAgeMillis, long capacityBytes, long usedBytes,
                   long cacheHits, long cacheMisses, long cacheBytes) {}

    record Pair(String id, String mode, List<Member> members) {}

    record Member(int index, String role, String volume, boolean up, long capacityBytes, long usedBytes, int opens,
                  long invalidClusters, long invalidBytes, long syncBytesPerSecond, Long secondsLeft) {}

    @Override
    public Integer call() throws Exception {
        if (watchSeconds != null && watchSeconds < 1) {
            System.err.println("cfs status: --watch " + watchSeconds + ": expected whole seconds >= 1");
            return 2;
        }
        try (ClusterOptions.Cluster c = cluster.connect()) {
            if (waitSynced) {
                return waitSynced(c);
            }
            if (watchSeconds == null) {
                System.out.print(render(status(c), json));
                return 0;
            }
            boolean terminal = Progress.stdoutIsTerminal();
            while (true) {
                String header = "cfs status, " + java.time.LocalTime.now().withNano(0) + ", every " + watchSeconds
                        + " s (Ctrl-C to stop)";
                String body;
                try {
                    body = render(status(c), json && !terminal ? Json.LINE : json ? Json.INDENTED : Json.NONE);
                } catch (CfsException e) {
                    body = "cannot reach the cluster: " + e.getMessage() + "\n";
                }
                System.out.print(watchFrame(header, body, terminal, json));
                System.out.flush();
                Thread.sleep(watchSeconds * 1000L);
            }
        } catch (CfsException e) {
            System.err.println("cfs status: " + e.getMessage() + " (is the cluster up? scripts/local-cluster.sh status)");
            return 1;
        }
    }

    /** How --json prints: not at all (tables), indented, or one document per line (for --watch into a pipe). */
    enum Json { NONE, INDENTED, LINE }

    private static String render(Status s, boolean json) throws Exception {
        return render(s, json ? Json.INDENTED : Json.NONE);
    }

    static String render(Status s, Json json) throws Exception {
        if (json == Json.NONE) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
            print(s, out);
            return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
        ObjectMapper mapper = new ObjectMapper();
        if (json == Json.INDENTED) {
            mapper.enable(SerializationFeature.INDENT_OUTPUT);
        }
        return mapper.writeValueAsString(s) + "\n";
    }

    /**
     * One refresh of --watch. On a terminal: the cursor home, each line clearing what the previous
     * frame left to its right, and the rest of the screen cleared, so the tables are updated in
     * place without a flicker. Elsewhere: a timestamped snapshot after a blank line (for JSON, just
     * the line-per-document body, so the output stays a stream of JSON documents).
     */
    static String watchFrame(String header, String body, boolean terminal, boolean json) {
        if (!terminal) {
            return json ? body : "\n" + header + "\n" + body;
        }
        StringBuilder sb = new StringBuilder("\033[H");
        for (String line : (header + "\n\n" + body).split("\n", -1)) {
            sb.append(line).append("\033[K\n");
        }
        sb.setLength(sb.length() - 1);
        return sb.append("\033[J").toString();
    }

    /**
     * Asks every master's storage system how many clusters its mirrors still lack, until none does,
     * showing the resync's progress (a bar on a terminal, a line every 10 s otherwise). The storage
     * systems are asked directly: they know at once, the metadata server only at their next heartbeat.
     */
    private int waitSynced(ClusterOptions.Cluster c) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        long clusterSize = c.topology.clusterSize();
        Progress progress = Progress.onStdout("resync", n -> Units.bytes(n * clusterSize));
        long peak = 0;
        String unreachable = "";
        while (true) {
            Map<String, String> behind = new TreeMap<>();
            long invalid = 0;
            StringBuilder down = new StringBuilder();
            for (PairSpec pair : c.topology.sortedPairs()) {
                VolumeAddress master = pair.master();
                try {
                    long n = c.storage(master.storage()).call(new VolumeInfoRequest(master.volume()),
                            VolumeInfoReply.class).invalidClusters();
                    if (n > 0) {
                        behind.put(pair.id().value(), n + " invalid clusters");
                        invalid += n;
                    }
                } catch (CfsException e) {
                    behind.put(pair.id().value(), "master " + master + " unreachable: " + e.getMessage());
                    down.append(" ").append(pair.id()).append(" (master ").append(master).append(")");
                }
            }
            if (!down.toString().equals(unreachable)) {
                unreachable = down.toString();
                progress.println(unreachable.isEmpty() ? "every master answers again"
                        : "waiting for unreachable masters:" + unreachable);
            }
            peak = Math.max(peak, invalid);
            if (peak > 0) {
                progress.update(peak - invalid, peak);
            }
            if (behind.isEmpty()) {
                if (peak > 0) {
                    progress.finish();
                }
                System.out.println("synced: no mirror has invalid clusters");
                return 0;
            }
            if (System.nanoTime() > deadline) {
                progress.finish();
                System.err.println("cfs status: mirrors not synced after " + timeoutSeconds + " s: " + behind
                        + "; see 'cfs status' for each member, or wait longer with --timeout SECONDS");
                return 1;
            }
            Thread.sleep(250);
        }
    }

    static Status status(ClusterOptions.Cluster c) {
        Topology t = c.topology;
        StatusReply reply = c.meta.call(new StatusRequest(), StatusReply.class);
        Map<String, StorageStatus> storages = new TreeMap<>();
        reply.storages().forEach(s -> storages.put(s.storage().value(), s));
        Map<String, MemberStatus> members = new TreeMap<>();
        reply.members().forEach(m -> members.put(m.pair().value() + "/" + m.member(), m));

        Map<String, Long> capacity = new TreeMap<>();
        Map<String, Long> used = new TreeMap<>();
        for (VolumeSpec v : t.volumes().values()) {
            capacity.merge(v.address().storage().value(), v.capacity(), Long::sum);
        }
        for (PairSpec pair : t.sortedPairs()) {
            for (int i = 0; i < pair.members().size(); i++) {
                MemberStatus m = members.get(pair.id().value() + "/" + i);
                used.merge(pair.member(i).storage().value(), m == null ? 0 : m.usedBytes(), Long::sum);
            }
        }
        List<Storage> storageRows = new ArrayList<>();
        for (var spec : t.storages().values().stream().sorted((a, b) -> a.id().value().compareTo(b.id().value())).toList()) {
            String id = spec.id().value();
            StorageStatus s = storages.get(id);
            String address = spec.address().getHostString() + ":" + spec.address().getPort();
            long cap = capacity.getOrDefault(id, 0L);
            long use = used.getOrDefault(id, 0L);
            storageRows.add(s == null ? new Storage(id, address, false, -1, cap, use, 0, 0, 0)
                    : new Storage(id, address, s.up(), s.heartbeatAgeMillis(), cap, use, s.cacheHits(), s.cacheMisses(),
                    s.cacheBytes()));
        }
        List<Pair> pairRows = new ArrayList<>();
        for (PairSpec pair : t.sortedPairs()) {
            List<Member> rows = new ArrayList<>();
            List<VolumeAddress> volumes = pair.members();
            for (int i = 0; i < volumes.size(); i++) {
                VolumeAddress v = volumes.get(i);
                VolumeSpec spec = t.volume(v);
                MemberStatus m = members.get(pair.id().value() + "/" + i);
                StorageStatus s = storages.get(v.storage().value());
                long invalid = m == null ? 0 : m.invalidClusters();
                long rate = m == null ? 0 : m.syncBytesPerSecond();
                long invalidBytes = invalid * t.clusterSize();
                Long left = invalid > 0 && rate > 0 ? invalidBytes / rate : null;
                rows.add(new Member(i, i == 0 ? "master" : "mirror", v.toString(), s != null && s.up(), spec.capacity(),
                        m == null ? 0 : m.usedBytes(), m == null ? 0 : m.opens(), invalid, invalidBytes, rate, left));
            }
            pairRows.add(new Pair(pair.id().value(), pair.mode().name().toLowerCase(), rows));
        }
        return new Status(storageRows, pairRows, reply.sessions());
    }

    private static void print(Status s, PrintStream out) {
        Table storages = new Table("STORAGE", "STATE", "ADDRESS", "USED/CAPACITY", "HEARTBEAT", "CACHE HITS", "MISSES",
                "CACHED");
        for (Storage st : s.storages()) {
            storages.row(st.id(), st.up() ? "up" : "DOWN", st.address(), Units.bytes(st.usedBytes()) + " / "
                    + Units.bytes(st.capacityBytes()) + " (" + Units.percent(st.usedBytes(), st.capacityBytes()) + ")",
                    st.heartbeatAgeMillis() < 0 ? "never" : Units.duration(st.heartbeatAgeMillis()) + " ago",
                    String.valueOf(st.cacheHits()), String.valueOf(st.cacheMisses()), Units.bytes(st.cacheBytes()));
        }
        storages.print(out);
        out.println();
        Table pairs = new Table("PAIR", "MODE", "MEMBER", "VOLUME", "STATE", "OPENS", "USED/CAPACITY", "INVALID",
                "RESYNC");
        for (Pair p : s.pairs()) {
            for (Member m : p.members()) {
                String used = m.index() == 0 ? Units.bytes(m.usedBytes()) + " / " + Units.bytes(m.capacityBytes())
                        : Units.bytes(m.capacityBytes());
                String invalid = m.index() == 0 ? "-" : m.invalidClusters() == 0 ? "0 (synced)"
                        : m.invalidClusters() + " (" + Units.bytes(m.invalidBytes()) + ")";
                String resync = m.invalidClusters() == 0 ? "" : m.syncBytesPerSecond() == 0 ? "waiting"
                        : Units.rate(m.syncBytesPerSecond()) + ", " + Units.duration(m.secondsLeft() * 1000) + " left";
                pairs.row(p.id(), p.mode(), m.index() == 0 ? "master" : "mirror " + m.index(), m.volume(),
                        m.up() ? "up" : "DOWN", String.valueOf(m.opens()), used, invalid, resync);
            }
        }
        pairs.print(out);
        out.println();
        if (s.sessions().isEmpty()) {
            out.println("no client sessions");
            return;
        }
        Table sessions = new Table("SESSION", "CLIENT", "OPEN FILES", "LEASE LEFT");
        for (SessionStatus ss : s.sessions()) {
            sessions.row(Long.toHexString(ss.session()), ss.client(), String.valueOf(ss.handles()),
                    Units.duration(ss.leaseLeftMillis()));
        }
        sessions.print(out);
    }
}
