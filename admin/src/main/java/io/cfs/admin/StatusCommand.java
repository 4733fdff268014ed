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
        description = {"Show the cluster: storage systems (up/down), pairs with each member's opens (the Usage Table),",
                "invalid clusters and resync progress, and client sessions.",
                "Exit codes: 0 shown (or synced), 1 cannot reach the cluster or --wait-synced timed out, 2 bad usage."})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "print JSON instead of tables")
    boolean json;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "2", paramLabel = "SECONDS",
            description = "refresh in place every SECONDS (default 2) until interrupted")
    Integer watchSeconds;

    @Option(names = "--wait-synced", description = "wait until no mirror has invalid clusters, then exit 0")
    boolean waitSynced;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "with --wait-synced: give up (exit 1) after this long")
    long timeoutSeconds;

    /** The status as printed by --json. */
    record Status(List<Storage> storages, List<Pair> pairs, List<SessionStatus> sessions) {}

    record Storage(String id, String address, boolean up, long heartbeatAgeMillis, long cacheHits, long cacheMisses,
                   long cacheBytes) {}

    record Pair(String id, String mode, List<Member> members) {}

    record Member(int index, String role, String volume, boolean up, long capacityBytes, long usedBytes, int opens,
                  long invalidClusters, long invalidBytes, long syncBytesPerSecond, Long secondsLeft) {}

    @Override
    public Integer call() throws Exception {
        try (ClusterOptions.Cluster c = cluster.connect()) {
            if (waitSynced) {
                return waitSynced(c);
            }
            do {
                Status status = status(c);
                if (watchSeconds != null) {
                    System.out.print("\033[H\033[2J");
                }
                print(status, System.out);
                System.out.flush();
                if (watchSeconds != null) {
                    Thread.sleep(watchSeconds * 1000L);
                }
            } while (watchSeconds != null);
            return 0;
        } catch (CfsException e) {
            System.err.println("cfs status: " + e.getMessage() + " (is the cluster up? scripts/local-cluster.sh status)");
            return 1;
        }
    }

    /**
     * Asks every master's storage system how many clusters its mirrors still lack, until none does.
     * The storage systems are asked directly: they know at once, the metadata server only at their
     * next heartbeat.
     */
    private int waitSynced(ClusterOptions.Cluster c) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            Map<String, String> behind = new TreeMap<>();
            for (PairSpec pair : c.topology.sortedPairs()) {
                VolumeAddress master = pair.master();
                try {
                    long n = c.storage(master.storage()).call(new VolumeInfoRequest(master.volume()),
                            VolumeInfoReply.class).invalidClusters();
                    if (n > 0) {
                        behind.put(pair.id().value(), n + " invalid clusters");
                    }
                } catch (CfsException e) {
                    behind.put(pair.id().value(), "master " + master + " unreachable: " + e.getMessage());
                }
            }
            if (behind.isEmpty()) {
                System.out.println("synced: no mirror has invalid clusters");
                return 0;
            }
            if (System.nanoTime() > deadline) {
                System.err.println("cfs status: mirrors not synced after " + timeoutSeconds + " s: " + behind);
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

        List<Storage> storageRows = new ArrayList<>();
        for (var spec : t.storages().values().stream().sorted((a, b) -> a.id().value().compareTo(b.id().value())).toList()) {
            StorageStatus s = storages.get(spec.id().value());
            String address = spec.address().getHostString() + ":" + spec.address().getPort();
            storageRows.add(s == null ? new Storage(spec.id().value(), address, false, -1, 0, 0, 0)
                    : new Storage(spec.id().value(), address, s.up(), s.heartbeatAgeMillis(), s.cacheHits(),
                    s.cacheMisses(), s.cacheBytes()));
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

    private void print(Status s, PrintStream out) throws Exception {
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(s));
            return;
        }
        Table storages = new Table("STORAGE", "STATE", "ADDRESS", "HEARTBEAT", "CACHE HITS", "MISSES", "CACHED");
        for (Storage st : s.storages()) {
            storages.row(st.id(), st.up() ? "up" : "DOWN", st.address(),
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
