package io.cfs.topology;

import java.util.ArrayList;
import java.util.List;

/**
 * A row of the Pair Configuration Table: a master volume and its mirrors. Members are numbered
 * as the Usage Table counts them: 0 is the master, 1..n the mirrors in the order written.
 */
public record PairSpec(PairId id, PairMode mode, VolumeAddress master, List<VolumeAddress> mirrors) {
    public PairSpec {
        mirrors = List.copyOf(mirrors);
    }

    /** The master followed by the mirrors. */
    public List<VolumeAddress> members() {
        List<VolumeAddress> all = new ArrayList<>(mirrors.size() + 1);
        all.add(master);
        all.addAll(mirrors);
        return all;
    }

    /** The volume of member {@code index} (0 is the master). */
    public VolumeAddress member(int index) {
        if (index < 0 || index > mirrors.size()) {
            throw new IllegalArgumentException("pair " + id + " has no member " + index
                    + ": expected 0.." + mirrors.size());
        }
        return index == 0 ? master : mirrors.get(index - 1);
    }
}
