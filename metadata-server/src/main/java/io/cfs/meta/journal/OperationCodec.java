package io.cfs.meta.journal;

import io.cfs.meta.namespace.Operation;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The journal encoding of {@link Operation}s: one type byte per operation and a big-endian
 * payload. Strings are a u16 byte length then UTF-8; a {@link Timespec} is {@code i64 seconds |
 * i32 nanos}; an {@link Extent} is {@code i64 fileOffset | i64 length | string pair | i64
 * volumeOffset}. Payloads, by type:
 *
 * <ol>
 *   <li>MakeDir: {@code i64 parent | string name | i64 inode | i32 mode | i32 uid | i32 gid | Timespec time}
 *   <li>CreateFile: {@code i64 parent | string name | i64 inode | i32 mode | i32 uid | i32 gid | u8 exclusive |
 *       string pair | Timespec time}
 *   <li>Remove: {@code i64 parent | string name | u8 directory | Timespec time}
 *   <li>Rename: {@code i64 srcParent | string srcName | i64 dstParent | string dstName | Timespec time}
 *   <li>SetAttr: {@code i64 inode | i32 valid | i32 mode | i32 uid | i32 gid | i64 size | Timespec atime |
 *       Timespec mtime | Timespec time}
 *   <li>Allocate: {@code i64 inode | i32 count | Extent* extents}
 *   <li>CommitWrite: {@code i64 inode | i64 size | Timespec mtime | Timespec time}
 *   <li>FreeOrphan: {@code i64 inode}
 *   <li>Symlink: {@code i64 parent | string name | i64 inode | string target | i32 uid | i32 gid | Timespec time}
 *   <li>Link: {@code i64 inode | i64 newParent | string newName | Timespec time}
 *   <li>MakeNode: {@code i64 parent | string name | i64 inode | u8 type | i32 mode | i32 rdev | i32 uid | i32 gid |
 *       Timespec time}
 *   <li>SetPair: {@code i64 inode | string pair}
 *   <li>CreateFile placed by a directory's pin: the payload of type 2 (type 2 is a create that is not pinned)
 * </ol>
 *
 * Types are never reused; a new operation gets a new type.
 */
public final class OperationCodec {
    static final int MAKE_DIR = 1;
    static final int CREATE_FILE = 2;
    static final int REMOVE = 3;
    static final int RENAME = 4;
    static final int SET_ATTR = 5;
    static final int ALLOCATE = 6;
    static final int COMMIT_WRITE = 7;
    static final int FREE_ORPHAN = 8;
    static final int SYMLINK = 9;
    static final int LINK = 10;
    static final int MAKE_NODE = 11;
    static final int SET_PAIR = 12;
    static final int CREATE_PINNED_FILE = 13;
    private static final int SMALLEST_EXTENT = 8 + 8 + 2 + 1 + 8;

    private final Set<PairId> pairs;

    /** @param pairs the pairs of the topology: a record naming another pair is refused. */
    public OperationCodec(Collection<PairId> pairs) {
        this.pairs = Set.copyOf(pairs);
    }

    public static boolean knows(int type) {
        return type >= MAKE_DIR && type <= CREATE_PINNED_FILE;
    }

    public static int type(Operation op) {
        if (op instanceof Operation.MakeDir) {
            return MAKE_DIR;
        } else if (op instanceof Operation.CreateFile o) {
            return o.pinned() ? CREATE_PINNED_FILE : CREATE_FILE;
        } else if (op instanceof Operation.Remove) {
            return REMOVE;
        } else if (op instanceof Operation.Rename) {
            return RENAME;
        } else if (op instanceof Operation.SetAttr) {
            return SET_ATTR;
        } else if (op instanceof Operation.Allocate) {
            return ALLOCATE;
        } else if (op instanceof Operation.CommitWrite) {
            return COMMIT_WRITE;
        } else if (op instanceof Operation.FreeOrphan) {
            return FREE_ORPHAN;
        } else if (op instanceof Operation.Symlink) {
            return SYMLINK;
        } else if (op instanceof Operation.Link) {
            return LINK;
        } else if (op instanceof Operation.MakeNode) {
            return MAKE_NODE;
        } else if (op instanceof Operation.SetPair) {
            return SET_PAIR;
        }
        throw new IllegalArgumentException("no journal type for " + op);
    }

    /** The payload of an operation (without its type byte). */
    public byte[] encode(Operation op) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            if (op instanceof Operation.MakeDir o) {
                out.writeLong(o.parent());
                writeString(out, o.name());
                out.writeLong(o.inode());
                out.writeInt(o.mode());
                out.writeInt(o.uid());
                out.writeInt(o.gid());
                writeTime(out, o.time());
            } else if (op instanceof Operation.CreateFile o) {
                out.writeLong(o.parent());
                writeString(out, o.name());
                out.writeLong(o.inode());
                out.writeInt(o.mode());
                out.writeInt(o.uid());
                out.writeInt(o.gid());
                out.writeBoolean(o.exclusive());
                writeString(out, o.pair().value());
                writeTime(out, o.time());
            } else if (op instanceof Operation.Remove o) {
                out.writeLong(o.parent());
                writeString(out, o.name());
                out.writeBoolean(o.directory());
                writeTime(out, o.time());
            } else if (op instanceof Operation.Rename o) {
                out.writeLong(o.srcParent());
                writeString(out, o.srcName());
                out.writeLong(o.dstParent());
                writeString(out, o.dstName());
                writeTime(out, o.time());
            } else if (op instanceof Operation.SetAttr o) {
                out.writeLong(o.inode());
                out.writeInt(o.valid());
                out.writeInt(o.mode());
                out.writeInt(o.uid());
                out.writeInt(o.gid());
                out.writeLong(o.size());
                writeTime(out, o.atime());
                writeTime(out, o.mtime());
                writeTime(out, o.time());
            } else if (op instanceof Operation.Allocate o) {
                out.writeLong(o.inode());
                out.writeInt(o.extents().size());
                for (Extent e : o.extents()) {
                    out.writeLong(e.fileOffset());
                    out.writeLong(e.length());
                    writeString(out, e.pair().value());
                    out.writeLong(e.volumeOffset());
                }
            } else if (op instanceof Operation.CommitWrite o) {
                out.writeLong(o.inode());
                out.writeLong(o.size());
                writeTime(out, o.mtime());
                writeTime(out, o.time());
            } else if (op instanceof Operation.FreeOrphan o) {
                out.writeLong(o.inode());
            } else if (op instanceof Operation.Symlink o) {
                out.writeLong(o.parent());
                writeString(out, o.name());
                out.writeLong(o.inode());
                writeString(out, o.target());
                out.writeInt(o.uid());
                out.writeInt(o.gid());
                writeTime(out, o.time());
            } else if (op instanceof Operation.Link o) {
                out.writeLong(o.inode());
                out.writeLong(o.newParent());
                writeString(out, o.newName());
                writeTime(out, o.time());
            } else if (op instanceof Operation.MakeNode o) {
                out.writeLong(o.parent());
                writeString(out, o.name());
                out.writeLong(o.inode());
                out.writeByte(o.type().code());
                out.writeInt(o.mode());
                out.writeInt(o.rdev());
                out.writeInt(o.uid());
                out.writeInt(o.gid());
                writeTime(out, o.time());
            } else if (op instanceof Operation.SetPair o) {
                out.writeLong(o.inode());
                writeString(out, o.pair().value());
            } else {
                throw new IllegalArgumentException("no journal encoding for " + op);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a payload of a known type; it must be consumed exactly.
     *
     * @throws IllegalArgumentException for a malformed payload or a pair not in the topology
     */
    public Operation decode(int type, ByteBuffer in) {
        Operation op;
        try {
            op = switch (type) {
                case MAKE_DIR -> new Operation.MakeDir(in.getLong(), readString(in), in.getLong(), in.getInt(),
                        in.getInt(), in.getInt(), readTime(in));
                case CREATE_FILE, CREATE_PINNED_FILE -> new Operation.CreateFile(in.getLong(), readString(in),
                        in.getLong(), in.getInt(), in.getInt(), in.getInt(), readBoolean(in), readPair(in),
                        type == CREATE_PINNED_FILE, readTime(in));
                case REMOVE -> new Operation.Remove(in.getLong(), readString(in), readBoolean(in), readTime(in));
                case RENAME -> new Operation.Rename(in.getLong(), readString(in), in.getLong(), readString(in),
                        readTime(in));
                case SET_ATTR -> new Operation.SetAttr(in.getLong(), in.getInt(), in.getInt(), in.getInt(), in.getInt(),
                        in.getLong(), readTime(in), readTime(in), readTime(in));
                case ALLOCATE -> new Operation.Allocate(in.getLong(), readExtents(in));
                case COMMIT_WRITE -> new Operation.CommitWrite(in.getLong(), in.getLong(), readTime(in), readTime(in));
                case FREE_ORPHAN -> new Operation.FreeOrphan(in.getLong());
                case SYMLINK -> new Operation.Symlink(in.getLong(), readString(in), in.getLong(), readString(in),
                        in.getInt(), in.getInt(), readTime(in));
                case LINK -> new Operation.Link(in.getLong(), in.getLong(), readString(in), readTime(in));
                case MAKE_NODE -> new Operation.MakeNode(in.getLong(), readString(in), in.getLong(),
                        FileType.of(Byte.toUnsignedInt(in.get())), in.getInt(), in.getInt(), in.getInt(), in.getInt(),
                        readTime(in));
                case SET_PAIR -> new Operation.SetPair(in.getLong(), readPair(in));
                default -> throw new IllegalArgumentException("unknown operation type " + type);
            };
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("payload of type " + type + " is cut short", e);
        }
        if (in.hasRemaining()) {
            throw new IllegalArgumentException("payload of type " + type + " has " + in.remaining() + " bytes too many");
        }
        return op;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + utf8.length + " bytes: expected at most 65535");
        }
        out.writeShort(utf8.length);
        out.write(utf8);
    }

    private static void writeTime(DataOutputStream out, Timespec t) throws IOException {
        out.writeLong(t.seconds());
        out.writeInt(t.nanos());
    }

    private static String readString(ByteBuffer in) {
        int n = Short.toUnsignedInt(in.getShort());
        if (n > in.remaining()) {
            throw new IllegalArgumentException("string of " + n + " bytes with " + in.remaining() + " left");
        }
        byte[] utf8 = new byte[n];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static boolean readBoolean(ByteBuffer in) {
        int b = in.get();
        if (b != 0 && b != 1) {
            throw new IllegalArgumentException("boolean byte " + b + ": expected 0 or 1");
        }
        return b == 1;
    }

    private static Timespec readTime(ByteBuffer in) {
        return new Timespec(in.getLong(), in.getInt());
    }

    private PairId readPair(ByteBuffer in) {
        String id = readString(in);
        PairId pair = new PairId(id);
        if (!pairs.contains(pair)) {
            throw new IllegalArgumentException("pair " + id + " is not in the topology (pairs " + pairs
                    + "): the topology lost a pair that holds files");
        }
        return pair;
    }

    private List<Extent> readExtents(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || (long) n * SMALLEST_EXTENT > in.remaining()) {
            throw new IllegalArgumentException("extent count " + n + " does not fit the " + in.remaining()
                    + " bytes left");
        }
        List<Extent> extents = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            extents.add(new Extent(in.getLong(), in.getLong(), readPair(in), in.getLong()));
        }
        return extents;
    }
}
