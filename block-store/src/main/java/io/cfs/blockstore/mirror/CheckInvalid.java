package io.cfs.blockstore.mirror;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The Check Invalid step of a mirror read (Fig 30): splits a byte range into runs of whole or
 * partial clusters that are all valid on the mirror (served from its own volume) or all stale
 * (served from the master).
 */
public final class CheckInvalid {
    private CheckInvalid() {}

    /** A part of a read: {@code length} bytes at volume {@code offset}, stale or not. */
    public record Run(long offset, int length, boolean stale) {}

    /** Splits {@code [offset, offset+length)} by the staleness of each cluster it touches. */
    public static List<Run> runs(long offset, int length, int clusterSize, LongPredicate stale) {
        List<Run> runs = new ArrayList<>();
        if (length == 0) {
            return runs;
        }
        long end = offset + length;
        long runStart = offset;
        boolean runStale = stale.test(offset / clusterSize);
        for (long c = offset / clusterSize + 1; (long) c * clusterSize < end; c++) {
            boolean s = stale.test(c);
            if (s != runStale) {
                long boundary = c * clusterSize;
                runs.add(new Run(runStart, (int) (boundary - runStart), runStale));
                runStart = boundary;
                runStale = s;
            }
        }
        runs.add(new Run(runStart, (int) (end - runStart), runStale));
        return runs;
    }
}
