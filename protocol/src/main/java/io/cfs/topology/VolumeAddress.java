package io.cfs.topology;

/** A volume in the cluster: its storage system and its id there, written {@code ss1:v1}. */
public record VolumeAddress(StorageId storage, VolumeId volume) {
    public VolumeAddress {
        if (storage == null || volume == null) {
            throw new IllegalArgumentException("volume address needs a storage system and a volume");
        }
    }

    /** Parses {@code ss:volume}. */
    public static VolumeAddress parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("volume '" + text + "' is invalid: expected STORAGE:VOLUME, e.g. ss1:v1");
        }
        return new VolumeAddress(new StorageId(text.substring(0, colon)), new VolumeId(text.substring(colon + 1)));
    }

    @Override
    public String toString() {
        return storage + ":" + volume;
    }
}
