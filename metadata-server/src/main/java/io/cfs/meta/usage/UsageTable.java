package io.cfs.meta.usage;

import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The Usage Table (seed Fig 9): per pair, per member (0 is the master, 1..n the mirrors as in
 * {@link PairSpec#members()}), how many opens are currently assigned to it. An open gets the
 * member with the fewest current opens, ties going to the lowest index; a close gives it back.
 * Soft state: it starts at zero and is never journaled. One row per pair of the topology.
 * Thread-safe.
 */
public final class UsageTable {
    private final Map<PairId, int[]> rows = new HashMap<>();

    public UsageTable(Collection<PairSpec> pairs) {
        for (PairSpec pair : pairs) {
            rows.put(pair.id(), new int[pair.members().size()]);
        }
    }

    /** Assigns an open to the least-used member of {@code pair} and returns its index. */
    public synchronized int acquire(PairId pair) {
        int[] row = row(pair);
        int best = 0;
        for (int member = 1; member < row.length; member++) {
            if (row[member] < row[best]) {
                best = member;
            }
        }
        row[best]++;
        return best;
    }

    /** Gives back an open assigned by {@link #acquire}. */
    public synchronized void release(PairId pair, int member) {
        int[] row = row(pair);
        if (member < 0 || member >= row.length) {
            throw new IllegalArgumentException("pair " + pair + " has no member " + member + ": expected 0.."
                    + (row.length - 1));
        }
        if (row[member] == 0) {
            throw new IllegalStateException("pair " + pair + " member " + member
                    + " has no open to release: expected a release per acquire");
        }
        row[member]--;
    }

    /** The opens currently assigned to one member. */
    public synchronized int count(PairId pair, int member) {
        return row(pair)[member];
    }

    private int[] row(PairId pair) {
        int[] row = rows.get(pair);
        if (row == null) {
            throw new IllegalArgumentException("pair " + pair + " is not in the Usage Table: expected one of "
                    + rows.keySet());
        }
        return row;
    }
}
