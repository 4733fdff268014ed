package io.cfs.topology;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole cluster as the topology file describes it: block and cluster sizes, the metadata
 * server, the storage systems with their volumes, the pairs (the Pair Configuration Table), the
 * connection security settings, where each daemon is declared and the client hosts that serve metrics.
 * Immutable; build one with {@link #load(Path)} or {@link TopologyParser}.
 */
public record Topology(
        int blockSize,
        int clusterSize,
        MetadataSpec metadata,
        Map<StorageId, StorageSpec> storages,
        Map<VolumeAddress, VolumeSpec> volumes,
        Map<PairId, PairSpec> pairs,
        SecuritySpec security,
        Origins origins,
        Map<MountId, MountSpec> mounts) {

    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    public static final int DEFAULT_CLUSTER_SIZE = 64 << 10;

    public Topology {
        storages = Map.copyOf(storages);
        volumes = Map.copyOf(volumes);
        pairs = Map.copyOf(pairs);
        mounts = Map.copyOf(mounts);
    }

    /** Reads and validates a topology file. */
    public static Topology load(Path file) throws IOException, TopologyException {
        return new TopologyParser(file.toString(), file.toAbsolutePath().getParent())
                .parse(Files.readAllLines(file));
    }

    public StorageSpec storage(StorageId id) {
        StorageSpec spec = storages.get(id);
        if (spec == null) {
            throw new IllegalArgumentException("storage system " + id + " is not in the topology: expected one of "
                    + storages.keySet());
        }
        return spec;
    }

    public PairSpec pair(PairId id) {
        PairSpec spec = pairs.get(id);
        if (spec == null) {
            throw new IllegalArgumentException("pair " + id + " is not in the topology: expected one of " + pairs.keySet());
        }
        return spec;
    }

    public VolumeSpec volume(VolumeAddress address) {
        VolumeSpec spec = volumes.get(address);
        if (spec == null) {
            throw new IllegalArgumentException("volume " + address + " is not in the topology");
        }
        return spec;
    }

    /** The pair a volume belongs to, as master or mirror. */
    public Optional<PairSpec> pairOf(VolumeAddress volume) {
        return pairs.values().stream().filter(p -> p.members().contains(volume)).findFirst();
    }

    /** The volumes held by one storage system. */
    public List<VolumeSpec> volumesOf(StorageId storage) {
        return volumes.values().stream().filter(v -> v.address().storage().equals(storage))
                .sorted((a, b) -> a.address().volume().value().compareTo(b.address().volume().value()))
                .toList();
    }

    /** Where the mount started with {@code --id id} serves its metrics, if the topology says. */
    public Optional<InetSocketAddress> mountMetrics(String id) {
        return mounts.entrySet().stream().filter(e -> e.getKey().value().equals(id)).findFirst()
                .map(e -> e.getValue().metrics());
    }

    /** The pairs, sorted by id. */
    public List<PairSpec> sortedPairs() {
        return pairs.values().stream().sorted((a, b) -> a.id().value().compareTo(b.id().value())).toList();
    }
}
