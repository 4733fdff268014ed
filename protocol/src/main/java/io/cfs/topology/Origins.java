package io.cfs.topology;

import java.util.Map;

/**
 * Where each object of the topology is declared, as {@code file:line}, so that an error found
 * only when a daemon starts (its port in use, its data folder not writable) names the line to fix.
 */
public record Origins(String metadata, Map<StorageId, String> storages) {
    public Origins {
        storages = Map.copyOf(storages);
    }

    public String storage(StorageId id) {
        return storages.getOrDefault(id, "storage " + id);
    }
}
