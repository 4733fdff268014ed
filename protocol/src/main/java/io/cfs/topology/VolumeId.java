package io.cfs.topology;

/** The id of a volume, validated on construction (see {@link Ids}). */
public record VolumeId(String value) {
    public VolumeId {
        Ids.check("volume", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
