package io.cfs.topology;

/** The id of a storage system, validated on construction (see {@link Ids}). */
public record StorageId(String value) {
    public StorageId {
        Ids.check("storage system", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
