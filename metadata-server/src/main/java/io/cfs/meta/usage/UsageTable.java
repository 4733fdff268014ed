package io.cfs.meta.usage;

import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The Usage Table (seed Fig 9): per pair, per member (0 is the master, 1..n the mirrors as in
 * {@link PairSpec#members()}), how many opens are currently assigned to it. An open gets the
 * live member (its storage system is up) with the fewest current opens, ties going to the lowest
 * index, or the master when no member is live; a close gives it back. When a storage system goes
 * down its members' opens can be {@link #moveOff moved} to live members. Soft state: it starts at
 * zero and is never journaled. One row per pair of the topology. Thread-safe.
 */
public final class UsageTable {
    private final Map<PairId, int[]> rows = new HashMap<>();

    public UsageTable(Collection<PairSpec> pairs) {
        for (PairSpec pair : pairs) {
            rows.put(pair.id(), new int[pair.members().size()]);
        }
    }

    /**
     * Assigns an open to the least-used member of {@code pair} that is {@code live}, or to the
     * master (0) when none is, and returns its index.
     */
    public synchronized int acquire(PairId pair, IntPredicate live) {
        int[] row = row(pair);
        int best = leastUsed(row, live, -1);
        if (best < 0) {
            best = 0;
        }
        row[best]++;
        return best;
    }

    /**
     * Moves one open of member {@code from} to the least-used other {@code live} member and returns
     * its index, or -1 (nothing moved) when there is none.
     */
    public synchronized int moveOff(PairId pair, int from, IntPredicate live) {
        int[] row = row(pair);
        check(pair, row, from);
        if (row[from] == 0) {
            throw new IllegalStateException("pair " + pair + " member " + from
                    + " has no open to move: expected a move per open assigned");
        }
        int to = leastUsed(row, live, from);
        if (to >= 0) {
            row[from]--;
            row[to]++;
        }
        return to;
    }

    /** The live member with the fewest opens (lowest index on ties) other than {@code except}, or -1. */
    private static int leastUsed(int[] row, IntPredicate live, int except) {
        int best = -1;
        for (int member = 0; member < row.length; member++) {
            if (member != except && live.test(member) && (best < 0 || row[member] < row[best])) {
                best = member;
            }
        }
        return best;
    }

    /** Gives back an open assigned by {@link #acquire}. */
    public synchronized void release(PairId pair, int member) {
        int[] row = row(pair);
        check(pair, row, member);
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

    private static void check(PairId pair, int[] row, int member) {
        if (member < 0 || member >= row.length) {
            throw new IllegalArgumentException("pair " + pair + " has no member " + member + ": expected 0.."
                    + (row.length - 1));
        }
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
