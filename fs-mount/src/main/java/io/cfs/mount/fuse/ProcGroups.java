package io.cfs.mount.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The supplementary groups of the process (thread) that made a FUSE request, read from the
 * {@code Groups:} line of {@code /proc/PID/status} as libfuse's fuse_getgroups reads them: FUSE
 * tells only the caller's uid, gid and pid. Read once per request, and only if a check needs them.
 * A process gone before they are read belongs to no other group.
 */
final class ProcGroups implements IntPredicate {
    private final Path status;
    private int[] groups;

    ProcGroups(long pid) {
        this.status = Path.of("/proc", Long.toString(pid), "status");
    }

    @Override
    public boolean test(int group) {
        if (groups == null) { // one request, one thread
            groups = read(status);
        }
        return Arrays.binarySearch(groups, group) >= 0;
    }

    /** The sorted groups of a status file, or none if it cannot be read. */
    static int[] read(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Groups:")) {
                    return parse(line.substring("Groups:".length()));
                }
            }
        } catch (IOException e) {
            // the process exited: it has no groups left to act with
        }
        return new int[0];
    }

    static int[] parse(String list) {
        String trimmed = list.strip();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        // a gid past 2^31 becomes the negative int FUSE gives for it
        int[] groups = Arrays.stream(trimmed.split("\\s+")).mapToInt(g -> (int) Long.parseLong(g)).toArray();
        Arrays.sort(groups);
        return groups;
    }
}
