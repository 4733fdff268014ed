package io.cfs.mount.client;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The permission checks of POSIX, as Linux makes them for a local file system (generic_permission,
 * may_delete, setattr_prepare), on the attributes CFS holds: for a mount only its user reaches,
 * which does without the kernel's {@code default_permissions} (with it the kernel asks for the
 * attributes of every directory on a path before each operation, as it caches no attributes so
 * that another host's changes show at once: three or four round trips through FUSE for a stat).
 * A request the kernel checked ({@link Caller#kernelChecked}) is not checked again.
 *
 * <p>No access control lists (CFS keeps none) and no capabilities but the superuser's, which
 * passes every check but the execution of a file with no execute bit. A refused check is
 * {@link ErrorCode#ACCESS_DENIED} (EACCES) for mode bits and {@link ErrorCode#PERMISSION_DENIED}
 * (EPERM) for what only the owner may do, as on a local file system.
 */
public final class Access {
    public static final int READ = 4;
    public static final int WRITE = 2;
    public static final int EXECUTE = 1;

    private static final int SET_UID = 04000;
    private static final int SET_GID = 02000;
    private static final int STICKY = 01000;
    private static final int ANY_EXECUTE = 0111;

    private static final Path PROTECTED_HARDLINKS = Path.of("/proc/sys/fs/protected_hardlinks");

    private Access() {}

    /** Whether {@code caller} has every permission of {@code mask} (READ, WRITE, EXECUTE) on {@code attr}. */
    public static boolean allowed(FileAttr attr, Caller caller, int mask) {
        if (mask < 0 || mask > 7) {
            throw new IllegalArgumentException("access mask " + mask + ": expected 0..7 (READ | WRITE | EXECUTE)");
        }
        if (caller.root()) {
            return (mask & EXECUTE) == 0 || attr.type() == FileType.DIRECTORY || (attr.mode() & ANY_EXECUTE) != 0;
        }
        int bits;
        if (caller.uid() == attr.uid()) {
            bits = attr.mode() >> 6;
        } else if (caller.inGroup(attr.gid())) {
            bits = attr.mode() >> 3;
        } else {
            bits = attr.mode();
        }
        return (bits & mask) == mask;
    }

    /** Refuses with EACCES unless {@link #allowed}. */
    public static void require(FileAttr attr, Caller caller, int mask, String path) {
        if (!allowed(attr, caller, mask)) {
            throw new CfsException(ErrorCode.ACCESS_DENIED, path + ": uid " + caller.uid() + " lacks " + describe(mask)
                    + " permission on mode 0" + Integer.toOctalString(attr.mode()) + " owned by " + attr.uid() + ":"
                    + attr.gid());
        }
    }

    /** The permissions an open(2) with {@code flags} needs on the file. */
    public static int forOpen(int flags) {
        if ((flags & OpenFlags.EXEC) != 0) {
            return EXECUTE; // execve(2) needs no read permission: a --x--x--x binary runs
        }
        int mask = switch (flags & OpenFlags.ACCESS_MODE) {
            case OpenFlags.READ_ONLY -> READ;
            case OpenFlags.WRITE_ONLY -> WRITE;
            default -> READ | WRITE; // O_RDWR, and 3 as Linux reads it
        };
        if ((flags & OpenFlags.TRUNCATE) != 0) {
            mask |= WRITE;
        }
        return mask;
    }

    /** Owner or root, or EPERM: who may change a file's mode, owner or times (other than to now). */
    public static void requireOwner(FileAttr attr, Caller caller, String what, String path) {
        if (!owns(attr, caller)) {
            throw notOwner(attr, caller, what, path);
        }
    }

    /**
     * What a removal or a rename of {@code victim} from {@code dir} needs beyond write and search on
     * {@code dir}: in a sticky directory (/tmp), the caller must own the directory or the entry.
     *
     * @param entry  the entry's attributes (asked only of a sticky directory the caller does not
     *               own), or null when there is none (a rename's target may not exist)
     */
    public static void requireRemovable(FileAttr dir, Caller caller, String path, Supplier<FileAttr> entry) {
        if ((dir.mode() & STICKY) == 0 || owns(dir, caller)) {
            return;
        }
        FileAttr victim = entry.get();
        if (victim != null && !owns(victim, caller)) {
            throw new CfsException(ErrorCode.PERMISSION_DENIED, path + ": uid " + caller.uid()
                    + " owns neither it (owner " + victim.uid() + ") nor its sticky directory (owner " + dir.uid() + ")");
        }
    }

    /**
     * The mode a chmod by {@code caller} sets: the owner's (or root's) request, with the set-group-ID
     * bit dropped when the caller is not in the file's group. Anyone who may write the file may drop
     * its set-user-ID and/or set-group-ID bits and change nothing else: the kernel asks for that
     * when such a file is written or truncated by another user (so a writer's {@code chmod u-s},
     * which Linux refuses, passes here: the two cannot be told apart).
     */
    public static int chmod(FileAttr attr, Caller caller, int mode, String path) {
        if (!owns(attr, caller)) {
            int dropped = attr.mode() & ~mode;
            boolean dropsPrivileges = dropped != 0 && (dropped & ~(SET_UID | SET_GID)) == 0
                    && (mode & ~attr.mode()) == 0;
            if (!dropsPrivileges || !allowed(attr, caller, WRITE)) {
                throw notOwner(attr, caller, "change the mode of", path);
            }
            return mode;
        }
        if (!caller.root() && !caller.inGroup(attr.gid())) {
            return mode & ~SET_GID;
        }
        return mode;
    }

    /**
     * chown(2): only root gives a file away; its owner may set the group to one of its own.
     *
     * @param uid the new owner, or -1 to keep it
     * @param gid the new group, or -1 to keep it
     */
    public static void requireChown(FileAttr attr, Caller caller, int uid, int gid, String path) {
        if (caller.root()) {
            return;
        }
        boolean owner = caller.uid() == attr.uid();
        if (uid != -1 && !(owner && uid == attr.uid())) {
            throw notOwner(attr, caller, "give to uid " + uid, path);
        }
        if (gid != -1 && !(owner && (gid == attr.gid() || caller.inGroup(gid)))) {
            throw new CfsException(ErrorCode.PERMISSION_DENIED, path + ": uid " + caller.uid()
                    + (owner ? " is not in group " + gid : " does not own it (owner " + attr.uid() + ")"));
        }
    }

    /**
     * utimes(2): setting both times to now needs the owner or write permission (EACCES); any other
     * change of times needs the owner (EPERM).
     */
    public static void requireTimes(FileAttr attr, Caller caller, boolean toNow, String path) {
        if (owns(attr, caller)) {
            return;
        }
        if (!toNow) {
            throw notOwner(attr, caller, "set the times of", path);
        }
        require(attr, caller, WRITE, path);
    }

    /**
     * link(2) of a file the caller does not own, while Linux's {@code fs.protected_hardlinks} is on
     * (the default): it must be a regular file without set-id bits that the caller may read and
     * write, or EPERM.
     */
    public static void requireLinkable(FileAttr attr, Caller caller, String path) {
        requireLinkable(attr, caller, path, protectedHardlinks());
    }

    static void requireLinkable(FileAttr attr, Caller caller, String path, boolean protectedHardlinks) {
        if (!protectedHardlinks) {
            return;
        }
        boolean safe = attr.type() == FileType.REGULAR && (attr.mode() & SET_UID) == 0
                && (attr.mode() & (SET_GID | 010)) != (SET_GID | 010) && allowed(attr, caller, READ | WRITE);
        if (!owns(attr, caller) && !safe) {
            throw notOwner(attr, caller, "link to", path);
        }
    }

    /** The sysctl as it is now (on if it cannot be read, as on every current distribution). */
    private static boolean protectedHardlinks() {
        try {
            return !Files.readString(PROTECTED_HARDLINKS).strip().equals("0");
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean owns(FileAttr attr, Caller caller) {
        return caller.root() || caller.uid() == attr.uid();
    }

    private static CfsException notOwner(FileAttr attr, Caller caller, String what, String path) {
        return new CfsException(ErrorCode.PERMISSION_DENIED, path + ": uid " + caller.uid() + " may not " + what
                + " it: only its owner (uid " + attr.uid() + ") or root may");
    }

    private static String describe(int mask) {
        StringBuilder s = new StringBuilder();
        if ((mask & READ) != 0) {
            s.append("read");
        }
        if ((mask & WRITE) != 0) {
            s.append(s.isEmpty() ? "" : "+").append("write");
        }
        if ((mask & EXECUTE) != 0) {
            s.append(s.isEmpty() ? "" : "+").append("execute/search");
        }
        return s.toString();
    }
}
