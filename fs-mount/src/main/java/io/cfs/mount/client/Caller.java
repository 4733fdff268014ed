package io.cfs.mount.client;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Who makes a request: the user and group of the calling process, which own what it creates and
 * against which {@link Access} checks the mode bits, and its supplementary groups (asked only when
 * a check needs them: reading them costs a file read in /proc).
 *
 * @param supplementary whether the caller belongs to a group besides {@code gid}
 * @param kernelChecked the kernel has checked the request's permissions already (a mount with
 *                      {@code default_permissions}), with the caller's capabilities: CFS does not
 *                      check them again
 */
public record Caller(int uid, int gid, IntPredicate supplementary, boolean kernelChecked) {
    /** The superuser, for whom only the execution of a file no one may execute is refused. */
    public static final Caller ROOT = of(0, 0);

    /** A caller with the supplementary groups given, whose requests CFS checks. */
    public static Caller of(int uid, int gid, int... groups) {
        int[] sorted = groups.clone();
        Arrays.sort(sorted);
        return new Caller(uid, gid, g -> Arrays.binarySearch(sorted, g) >= 0, false);
    }

    public boolean root() {
        return uid == 0;
    }

    /** Whether CFS lets the request through unchecked: root's, or one the kernel has checked. */
    public boolean trusted() {
        return root() || kernelChecked;
    }

    /** Whether the caller belongs to {@code group}, as its primary or a supplementary group. */
    public boolean inGroup(int group) {
        return group == gid || supplementary.test(group);
    }
}
