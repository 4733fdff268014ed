package io.cfs.topology;

/** The id of a client host (a mount), validated on construction (see {@link Ids}). */
public record MountId(String value) {
    public MountId {
        Ids.check("mount", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
