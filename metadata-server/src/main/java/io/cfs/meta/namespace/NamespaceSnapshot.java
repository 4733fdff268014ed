package io.cfs.meta.namespace;

import io.cfs.meta.allocation.FileExtents;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The whole {@link Namespace} as bytes, for a snapshot: {@code i64 lastInode | i64 count |
 * inode*} with the inodes in number order, each {@code i64 number | u8 type | i32 mode | i32 uid
 * | i32 gid | i32 nlink | i64 size | Timespec atime | Timespec mtime | Timespec ctime} then by
 * type: directory {@code i64 parent | string pin ("" for none) | i32 count, (string name | i64
 * inode)*}; regular file {@code string pair | u8 pinned | i32 count, Extent*}; symbolic link
 * {@code string target}; character or block device {@code i32 rdev}; FIFO and socket nothing.
 * Strings, times and extents are encoded as in {@link io.cfs.meta.journal.OperationCodec}. The
 * free space and the orphans are derived on load, not stored. Equal states give equal bytes.
 *
 * <p>Loading checks the structure, not only the encoding: every entry names an existing inode,
 * each directory has exactly one name and is reachable from the root, link counts match the
 * names, pairs are in the topology and no two extents share volume space. A snapshot that fails
 * any check is refused ({@link IllegalArgumentException}) rather than served.
 */
public final class NamespaceSnapshot {
    private NamespaceSnapshot() {}

    /** Writes the state; only the thread that applies operations may call it (nothing may change meanwhile). */
    public static void write(Namespace ns, DataOutputStream out) throws IOException {
        Map<Long, Inode> inodes = ns.inodes();
        long[] numbers = inodes.keySet().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(numbers);
        out.writeLong(ns.lastInode());
        out.writeLong(numbers.length);
        for (long number : numbers) {
            write(inodes.get(number), out);
        }
    }

    private static void write(Inode n, DataOutputStream out) throws IOException {
        out.writeLong(n.number);
        out.writeByte(n.type.code());
        out.writeInt(n.mode);
        out.writeInt(n.uid);
        out.writeInt(n.gid);
        out.writeInt(n.nlink);
        out.writeLong(n.size);
        writeTime(out, n.atime);
        writeTime(out, n.mtime);
        writeTime(out, n.ctime);
        switch (n.type) {
            case DIRECTORY -> {
                out.writeLong(n.parent);
                writeString(out, n.pin == null ? "" : n.pin.value());
                out.writeInt(n.entries.size());
                for (Map.Entry<String, Long> e : n.entries.entrySet()) {
                    writeString(out, e.getKey());
                    out.writeLong(e.getValue());
                }
            }
            case REGULAR -> {
                writeString(out, n.pair.value());
                out.writeBoolean(n.pinned);
                out.writeInt(n.extents.size());
                for (Extent e : n.extents.list()) {
                    out.writeLong(e.fileOffset());
                    out.writeLong(e.length());
                    writeString(out, e.pair().value());
                    out.writeLong(e.volumeOffset());
                }
            }
            case SYMLINK -> writeString(out, n.target);
            case CHAR_DEVICE, BLOCK_DEVICE -> out.writeInt(n.rdev);
            case FIFO, SOCKET -> { }
        }
    }

    /**
     * Reads a state written by {@link #write}.
     *
     * @throws IllegalArgumentException for bytes that are not a consistent namespace of this topology
     * @throws IOException              when the stream fails or ends early
     */
    public static Namespace read(Topology topology, DataInputStream in) throws IOException {
        Reader r = new Reader(topology, in);
        long lastInode = in.readLong();
        long count = in.readLong();
        if (lastInode < Namespace.ROOT || count < 1 || count > lastInode) {
            throw new IllegalArgumentException("snapshot holds " + count + " inodes numbered up to " + lastInode
                    + ": expected 1..lastInode inodes, lastInode >= " + Namespace.ROOT);
        }
        Map<Long, Inode> inodes = new HashMap<>();
        long previous = 0;
        for (long i = 0; i < count; i++) {
            Inode n = r.inode(topology.blockSize());
            if (n.number <= previous || n.number > lastInode) {
                throw new IllegalArgumentException("inode " + n.number + " follows inode " + previous
                        + ": expected increasing numbers up to " + lastInode);
            }
            previous = n.number;
            inodes.put(n.number, n);
        }
        check(inodes);
        try {
            return new Namespace(topology, inodes, lastInode);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The structure checks: names, link counts, parents, reachability. */
    private static void check(Map<Long, Inode> inodes) {
        Inode root = inodes.get(Namespace.ROOT);
        if (root == null || !root.isDirectory() || root.parent != Namespace.ROOT) {
            throw new IllegalArgumentException("snapshot has no root directory " + Namespace.ROOT
                    + " that is its own parent");
        }
        Map<Long, Integer> names = new HashMap<>();
        for (Inode dir : inodes.values()) {
            if (!dir.isDirectory()) {
                continue;
            }
            int subdirs = 0;
            for (Map.Entry<String, Long> e : dir.entries.entrySet()) {
                Inode child = inodes.get(e.getValue());
                if (child == null || child.number == Namespace.ROOT) {
                    throw new IllegalArgumentException("entry '" + Names.printable(e.getKey()) + "' of directory "
                            + dir.number + " names inode " + e.getValue() + ": expected an existing non-root inode");
                }
                if (child.isDirectory()) {
                    subdirs++;
                    if (child.parent != dir.number) {
                        throw new IllegalArgumentException("directory " + child.number + " is entry '"
                                + Names.printable(e.getKey()) + "' of directory " + dir.number + " but names "
                                + child.parent + " as its parent");
                    }
                }
                names.merge(child.number, 1, Integer::sum);
            }
            if (dir.nlink != 2 + subdirs) {
                throw new IllegalArgumentException("directory " + dir.number + " has link count " + dir.nlink
                        + ": expected " + (2 + subdirs) + " (2 plus its " + subdirs + " subdirectories)");
            }
        }
        for (Inode n : inodes.values()) {
            int named = names.getOrDefault(n.number, 0);
            if (n.number == Namespace.ROOT) {
                continue;
            }
            if (n.isDirectory() ? named != 1 : named != n.nlink) {
                throw new IllegalArgumentException(n.kind() + " " + n.number + " has " + named + " names: expected "
                        + (n.isDirectory() ? 1 : n.nlink + " (its link count)"));
            }
            if (n.nlink == 0 && !n.isRegular()) {
                throw new IllegalArgumentException(n.kind() + " " + n.number
                        + " has no name: only regular files may outlive their names");
            }
        }
        long directories = inodes.values().stream().filter(Inode::isDirectory).count();
        long reached = 0;
        ArrayDeque<Inode> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            Inode dir = todo.poll();
            reached++;
            for (long child : dir.entries.values()) {
                Inode c = inodes.get(child);
                if (c.isDirectory()) {
                    todo.add(c);
                }
            }
        }
        if (reached != directories) {
            throw new IllegalArgumentException("only " + reached + " of the " + directories
                    + " directories are reachable from the root: expected a tree");
        }
    }

    /** Decodes inodes, checking each field. */
    private static final class Reader {
        private final Topology topology;
        private final DataInputStream in;

        Reader(Topology topology, DataInputStream in) {
            this.topology = topology;
            this.in = in;
        }

        Inode inode(int blockSize) throws IOException {
            long number = in.readLong();
            FileType type = FileType.of(in.readUnsignedByte());
            int mode = in.readInt();
            int uid = in.readInt();
            int gid = in.readInt();
            int nlink = in.readInt();
            long size = in.readLong();
            Timespec atime = time();
            Timespec mtime = time();
            Timespec ctime = time();
            if ((mode & ~Namespace.PERMISSIONS) != 0 || nlink < 0 || size < 0 || size > Namespace.MAX_FILE_SIZE) {
                throw new IllegalArgumentException("inode " + number + " has mode 0" + Integer.toOctalString(mode)
                        + ", link count " + nlink + ", size " + size + ": expected permission bits only, a"
                        + " non-negative link count and a size in 0.." + Namespace.MAX_FILE_SIZE);
            }
            Inode n = switch (type) {
                case DIRECTORY -> directory(number, mode, uid, gid, ctime);
                case REGULAR -> regular(number, mode, uid, gid, ctime, blockSize);
                case SYMLINK -> symlink(number, uid, gid, ctime, size);
                case CHAR_DEVICE, BLOCK_DEVICE -> Inode.node(number, type, mode, in.readInt(), uid, gid, ctime);
                case FIFO, SOCKET -> Inode.node(number, type, mode, 0, uid, gid, ctime);
            };
            n.nlink = nlink;
            n.size = size;
            n.atime = atime;
            n.mtime = mtime;
            return n;
        }

        private Inode directory(long number, int mode, int uid, int gid, Timespec time) throws IOException {
            Inode dir = Inode.directory(number, in.readLong(), mode, uid, gid, time);
            String pin = string();
            dir.pin = pin.isEmpty() ? null : pair(pin);
            int entries = count("entries of directory " + number);
            String previous = null;
            for (int i = 0; i < entries; i++) {
                String name = string();
                try {
                    Names.check(name);
                } catch (CfsException e) {
                    throw new IllegalArgumentException("directory " + number + ": " + e.getMessage(), e);
                }
                if (previous != null && previous.compareTo(name) >= 0) {
                    throw new IllegalArgumentException("directory " + number + " lists '" + Names.printable(name)
                            + "' after '" + Names.printable(previous) + "': expected names in increasing order");
                }
                previous = name;
                dir.entries.put(name, in.readLong());
            }
            return dir;
        }

        private Inode regular(long number, int mode, int uid, int gid, Timespec time, int blockSize)
                throws IOException {
            PairId home = pair(string());
            boolean pinned = in.readBoolean();
            Inode file = Inode.file(number, mode, uid, gid, home, pinned, time);
            int extents = count("extents of file " + number);
            if (extents > Namespace.MAX_FILE_EXTENTS) {
                throw new IllegalArgumentException("file " + number + " has " + extents + " extents: expected at most "
                        + Namespace.MAX_FILE_EXTENTS);
            }
            FileExtents list = file.extents;
            for (int i = 0; i < extents; i++) {
                long fileOffset = in.readLong();
                long length = in.readLong();
                PairId pair = pair(string());
                long volumeOffset = in.readLong();
                if (fileOffset < 0 || length <= 0 || volumeOffset < 0 || fileOffset % blockSize != 0
                        || length % blockSize != 0 || volumeOffset % blockSize != 0
                        || fileOffset > Namespace.MAX_FILE_SIZE - length) {
                    throw new IllegalArgumentException("file " + number + " has extent " + fileOffset + "+" + length
                            + " at " + pair + ":" + volumeOffset + ": expected block-aligned offsets and lengths");
                }
                try {
                    list.add(new Extent(fileOffset, length, pair, volumeOffset));
                } catch (IllegalStateException e) {
                    throw new IllegalArgumentException("file " + number + ": " + e.getMessage(), e);
                }
            }
            return file;
        }

        private Inode symlink(long number, int uid, int gid, Timespec time, long size) throws IOException {
            String target = string();
            try {
                Names.checkTarget(target);
            } catch (CfsException e) {
                throw new IllegalArgumentException("symbolic link " + number + ": " + e.getMessage(), e);
            }
            Inode link = Inode.symlink(number, target, uid, gid, time);
            if (link.size != size) {
                throw new IllegalArgumentException("symbolic link " + number + " has size " + size
                        + ": expected its target's " + link.size + " bytes");
            }
            return link;
        }

        private int count(String what) throws IOException {
            int n = in.readInt();
            if (n < 0) {
                throw new IllegalArgumentException(what + ": count " + n + " is negative");
            }
            return n;
        }

        private PairId pair(String id) {
            PairId pair = new PairId(id);
            if (!topology.pairs().containsKey(pair)) {
                throw new IllegalArgumentException("pair " + id + " is not in the topology (pairs "
                        + topology.pairs().keySet().stream().map(PairId::value).sorted().toList()
                        + "): the topology lost a pair that holds files");
            }
            return pair;
        }

        private String string() throws IOException {
            int n = in.readUnsignedShort();
            byte[] utf8 = new byte[n];
            in.readFully(utf8);
            return new String(utf8, StandardCharsets.UTF_8);
        }

        private Timespec time() throws IOException {
            long seconds = in.readLong();
            int nanos = in.readInt();
            try {
                return new Timespec(seconds, nanos);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("time " + seconds + "s " + nanos + "ns: " + e.getMessage(), e);
            }
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(utf8.length);
        out.write(utf8);
    }

    private static void writeTime(DataOutputStream out, Timespec t) throws IOException {
        out.writeLong(t.seconds());
        out.writeInt(t.nanos());
    }
}
