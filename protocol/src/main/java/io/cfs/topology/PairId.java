package io.cfs.topology;

/** The id of a pair, validated on construction (see {@link Ids}). */
public record PairId(String value) {
    public PairId {
        Ids.check("pair", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
