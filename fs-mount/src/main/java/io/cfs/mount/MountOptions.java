package io.cfs.mount;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code -o} options of a mount, as {@code mount(8)} and FUSE file systems take them: the
 * generic kernel flags ({@code ro}, {@code nosuid}, ...), libfuse 2's own options
 * ({@code allow_other}, {@code uid=}, ...) and the ones only {@code mount(8)} and fstab use
 * ({@code defaults}, {@code _netdev}, {@code nofail}, {@code x-systemd.*}), which are dropped here.
 * Anything else is refused with the list of what is accepted, rather than left to libfuse,
 * whose refusal is a bare "unknown option" after the mount attempt.
 *
 * @param fuse      the options to hand to libfuse, in the order given, CFS's own defaults first
 * @param readOnly  {@code ro} was asked (the last of {@code ro}/{@code rw} wins, as in mount(8))
 * @param dropped   options accepted but meaningless to the mount itself (mount(8)'s and fstab's)
 */
public record MountOptions(List<String> fuse, boolean readOnly, List<String> dropped) {
    /**
     * What every CFS mount gets: 128 KiB writes ({@code big_writes}, see FUSE-NOTES), reads of up
     * to 128 KiB, and {@code attr_timeout=0} so the kernel asks for attributes each time (a hard
     * link's count, a size another host committed or a chmod are seen at once; the page cache is
     * kept separately). Not {@code allow_other}: only the mounting user sees the files unless it is
     * asked for; with it (or {@code allow_root}) the kernel checks permissions ({@code
     * default_permissions}, added then): it opens FIFOs, sockets and devices without a call to the
     * file system, so only it can refuse those to another user. Without, CFS checks them itself
     * ({@link io.cfs.mount.client.Access}) and saves a round trip through FUSE for the attributes of
     * each directory on a path before every operation.
     */
    static final String DEFAULTS_TEXT =
            "big_writes,max_read=131072,attr_timeout=0,fsname=cfs,subtype=cfs";
    static final List<String> DEFAULTS = List.of(DEFAULTS_TEXT.split(","));

    /** The kernel mount flags libfuse 2 passes on (its mount_flags table). */
    private static final Set<String> KERNEL_FLAGS = Set.of("ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec",
            "exec", "async", "sync", "dirsync", "atime", "noatime");

    /** libfuse 2.9's options that take no value (fuse_mount_opts, fuse_lib_opts, fuse_ll_opts). */
    private static final Set<String> FUSE_FLAGS = Set.of("allow_other", "allow_root", "auto_unmount", "nonempty",
            "default_permissions", "blkdev", "async_read", "sync_read", "atomic_o_trunc", "big_writes",
            "no_remote_lock", "no_remote_flock", "no_remote_posix_lock", "splice_write", "no_splice_write",
            "splice_move", "no_splice_move", "splice_read", "no_splice_read", "hard_remove", "use_ino",
            "readdir_ino", "direct_io", "kernel_cache", "auto_cache", "noauto_cache", "noforget", "nopath", "intr",
            "debug");

    /** libfuse 2.9's options that take a value ({@code NAME=VALUE}). */
    private static final Set<String> FUSE_VALUES = Set.of("fsname", "subtype", "blksize", "max_read",
            "max_readahead", "max_write", "max_background", "congestion_threshold", "umask", "uid", "gid",
            "entry_timeout", "negative_timeout", "attr_timeout", "ac_attr_timeout", "remember", "intr_signal",
            "modules");

    /**
     * Options of mount(8) and fstab with no meaning to the file system, and atime flags libfuse 2
     * has no way to pass to the kernel: accepted and dropped (listed in the mount's log).
     */
    private static final Set<String> MOUNT_ONLY = Set.of("defaults", "auto", "noauto", "user", "nouser", "users",
            "owner", "group", "nofail", "_netdev", "loud", "silent", "relatime", "norelatime", "strictatime",
            "nostrictatime", "lazytime", "nolazytime", "diratime", "nodiratime");

    /**
     * Parses {@code -o} values (each may itself be comma separated) on top of {@link #DEFAULTS}.
     *
     * @throws IllegalArgumentException naming the first option CFS does not know and what it accepts
     */
    public static MountOptions parse(List<String> given) {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String d : DEFAULTS) {
            byName.put(name(d), d);
        }
        boolean readOnly = false;
        List<String> dropped = new ArrayList<>();
        for (String group : given) {
            for (String option : group.split(",")) {
                option = option.strip();
                if (option.isEmpty()) {
                    continue;
                }
                String name = name(option);
                boolean hasValue = option.contains("=");
                if (MOUNT_ONLY.contains(option) || name.startsWith("x-") || name.startsWith("_") || name.equals("comment")) {
                    dropped.add(option);
                } else if (option.equals("ro") || option.equals("rw")) {
                    readOnly = option.equals("ro");
                    byName.remove("ro");
                    byName.remove("rw");
                    byName.put(option, option);
                } else if (!hasValue && (KERNEL_FLAGS.contains(option) || FUSE_FLAGS.contains(option))) {
                    byName.put(name, option);
                } else if (hasValue && FUSE_VALUES.contains(name) && option.length() > name.length() + 1) {
                    byName.put(name, option); // a later value replaces a default (e.g. fsname=)
                } else if (FUSE_VALUES.contains(name)) {
                    throw new IllegalArgumentException("mount option '" + option + "' needs a value: " + name + "=VALUE");
                } else if (KERNEL_FLAGS.contains(name) || FUSE_FLAGS.contains(name)) {
                    throw new IllegalArgumentException("mount option '" + option + "' takes no value: write " + name);
                } else {
                    throw new IllegalArgumentException("unknown mount option '" + option + "': expected FUSE options ("
                            + String.join(",", new java.util.TreeSet<>(FUSE_FLAGS)) + ", "
                            + String.join("=,", new java.util.TreeSet<>(FUSE_VALUES)) + "=), kernel flags ("
                            + String.join(",", new java.util.TreeSet<>(KERNEL_FLAGS)) + ") or fstab's ("
                            + String.join(",", new java.util.TreeSet<>(MOUNT_ONLY)) + ",x-*,_*)");
                }
            }
        }
        if (byName.containsKey("allow_other") || byName.containsKey("allow_root")) {
            // other users may use the mount: the kernel checks their permissions (CFS then does not),
            // FIFOs, sockets and devices included, which it opens without asking CFS
            byName.putIfAbsent("default_permissions", "default_permissions");
        }
        return new MountOptions(List.copyOf(byName.values()), readOnly, List.copyOf(dropped));
    }

    /** libfuse's arguments: one {@code -o} with every option, comma separated. */
    public List<String> fuseArguments() {
        return List.of("-o", String.join(",", fuse));
    }

    private static String name(String option) {
        int eq = option.indexOf('=');
        return eq < 0 ? option : option.substring(0, eq);
    }
}
