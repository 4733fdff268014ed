package io.cfs.protocol;

import static io.cfs.protocol.Frames.str;

import io.cfs.protocol.message.*;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Sample messages for the opcodes, each with its body written by hand from the layout its Javadoc
 * documents (so the codec is checked against the documentation, not only against itself).
 */
public final class Samples {
    /**
     * @param message makes a fresh message each time (a data message gets a fresh buffer)
     * @param body    writes the documented body, without a data message's trailing data
     * @param data    the trailing data of a data message (empty otherwise)
     */
    public record Sample(String name, Opcode opcode, long requestId, Supplier<Message> message,
                         Consumer<ByteBuf> body, byte[] data) {
        public Envelope envelope() {
            return new Envelope(requestId, message.get());
        }

        /** The whole frame as the documentation lays it out. */
        public byte[] expectedFrame() {
            return Frames.frameBytes(opcode.code(), requestId, b -> {
                body.accept(b);
                b.writeBytes(data);
            });
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final Map<Opcode, List<Sample>> BY_OPCODE = new EnumMap<>(Opcode.class);

    static final Timespec T1 = new Timespec(1_700_000_000L, 123_456_789);
    static final Timespec T2 = new Timespec(0, 0);
    static final Timespec T3 = new Timespec(-1L, 999_999_999);
    static final FileAttr ATTR = new FileAttr(99, FileType.REGULAR, 0644, 1, 1000, 100, 0, 1L << 40, T1, T2, T3);
    static final FileAttr FIFO = new FileAttr(7, FileType.CHAR_DEVICE, 0620, 2, 0, 5, (136 << 8) | 3, 0, T2, T2, T1);
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("pair-2_x");
    static final VolumeId V1 = new VolumeId("v1");
    static final VolumeId V32 = new VolumeId("v" + "0123456789abcdefghijklmnopqrstu"); // 32 characters
    static final List<Extent> EXTENTS = List.of(
            new Extent(0, 1 << 20, P1, 0),
            new Extent(1 << 20, 4096, P2, 8L << 30));

    static {
        add(Opcode.OK, 1, OkReply::new, b -> {});
        add(Opcode.PING, 1, PingRequest::new, b -> {});
        add(Opcode.ERROR, 2, () -> new ErrorReply(ErrorCode.NOT_FOUND, "no entry 'fïlm.mp4' in 1"), b -> {
            b.writeShort(1);
            str(b, "no entry 'fïlm.mp4' in 1");
        });
        add(Opcode.ERROR, 3, () -> new ErrorReply(ErrorCode.INTERNAL, ""), b -> {
            b.writeShort(18);
            str(b, "");
        });
        add(Opcode.LOOKUP, Long.MAX_VALUE, () -> new LookupRequest(42, "movie.mp4"), b -> {
            b.writeLong(42);
            str(b, "movie.mp4");
        });
        add(Opcode.LOOKUP, Long.MIN_VALUE, () -> new LookupRequest(1, "x".repeat(Wire.MAX_STRING)), b -> {
            b.writeLong(1);
            str(b, "x".repeat(Wire.MAX_STRING));
        });
        add(Opcode.GET_ATTR, 0, () -> new GetAttrRequest(0x0102030405060708L), b -> b.writeLong(0x0102030405060708L));
        add(Opcode.ATTR, 5, () -> new AttrReply(ATTR), b -> attr(b, ATTR));
        add(Opcode.READ_DIR, 6, () -> new ReadDirRequest(1, "after-this", 128), b -> {
            b.writeLong(1);
            str(b, "after-this");
            b.writeInt(128);
        });
        add(Opcode.READ_DIR, 7, () -> new ReadDirRequest(1, "", 0), b -> {
            b.writeLong(1);
            str(b, "");
            b.writeInt(0);
        });
        List<DirEntry> entries = List.of(new DirEntry("a", 2, FileType.DIRECTORY),
                new DirEntry("b.mp4", 3, FileType.REGULAR), new DirEntry("ℓink", 4, FileType.SYMLINK));
        add(Opcode.READ_DIR_REPLY, 8, () -> new ReadDirReply(entries, true), b -> {
            b.writeInt(3);
            for (DirEntry e : entries) {
                str(b, e.name());
                b.writeLong(e.inode());
                b.writeByte(e.type().code());
            }
            b.writeByte(1);
        });
        add(Opcode.READ_DIR_REPLY, 9, () -> new ReadDirReply(List.of(), false), b -> {
            b.writeInt(0);
            b.writeByte(0);
        });
        add(Opcode.MAKE_DIR, 10, () -> new MakeDirRequest(1, "dir", 0755, 1000, 100), b -> {
            b.writeLong(1);
            str(b, "dir");
            b.writeInt(0755);
            b.writeInt(1000);
            b.writeInt(100);
        });
        add(Opcode.CREATE_FILE, 11, () -> new CreateFileRequest(7, "f", 0600, -1, -2, true), b -> {
            b.writeLong(7);
            str(b, "f");
            b.writeInt(0600);
            b.writeInt(-1);
            b.writeInt(-2);
            b.writeByte(1);
        });
        add(Opcode.CREATE_OPEN, 11, () -> new CreateOpenRequest(7, "f", 0644, 1000, 100, false, true), b -> {
            b.writeLong(7);
            str(b, "f");
            b.writeInt(0644);
            b.writeInt(1000);
            b.writeInt(100);
            b.writeByte(0);
            b.writeByte(1);
        });
        add(Opcode.REMOVE, 12, () -> new RemoveRequest(1, "gone", false), b -> {
            b.writeLong(1);
            str(b, "gone");
            b.writeByte(0);
        });
        add(Opcode.REMOVE, 13, () -> new RemoveRequest(1, "d", true), b -> {
            b.writeLong(1);
            str(b, "d");
            b.writeByte(1);
        });
        add(Opcode.RENAME, 14, () -> new RenameRequest(1, "a", 2, "b"), b -> {
            b.writeLong(1);
            str(b, "a");
            b.writeLong(2);
            str(b, "b");
        });
        int valid = SetAttrRequest.MODE | SetAttrRequest.SIZE | SetAttrRequest.MTIME;
        add(Opcode.SET_ATTR, 15, () -> new SetAttrRequest(5, valid, 0640, 1, 2, 12345, T2, T1), b -> {
            b.writeLong(5);
            b.writeInt(valid);
            b.writeInt(0640);
            b.writeInt(1);
            b.writeInt(2);
            b.writeLong(12345);
            time(b, T2);
            time(b, T1);
        });
        add(Opcode.STAT_FS, 16, StatFsRequest::new, b -> {});
        add(Opcode.STAT_FS_REPLY, 17, () -> new StatFsReply(1L << 42, 1L << 40, 12345, 1 << 20), b -> {
            b.writeLong(1L << 42);
            b.writeLong(1L << 40);
            b.writeLong(12345);
            b.writeInt(1 << 20);
        });
        add(Opcode.OPEN, 18, () -> new OpenRequest(77, true), b -> {
            b.writeLong(77);
            b.writeByte(1);
        });
        add(Opcode.OPEN_REPLY, 19, () -> new OpenReply(77, ATTR, P1, 2, EXTENTS), b -> {
            b.writeLong(77);
            attr(b, ATTR);
            str(b, "p1");
            b.writeInt(2);
            extents(b, EXTENTS);
        });
        add(Opcode.OPEN_REPLY, 20, () -> new OpenReply(1, ATTR, P2, 0, List.of()), b -> {
            b.writeLong(1);
            attr(b, ATTR);
            str(b, P2.value());
            b.writeInt(0);
            b.writeInt(0);
        });
        add(Opcode.ALLOCATE, 21, () -> new AllocateRequest(7, 4096, 1 << 20), b -> {
            b.writeLong(7);
            b.writeLong(4096);
            b.writeLong(1 << 20);
        });
        add(Opcode.LAYOUT, 22, () -> new LayoutReply(EXTENTS), b -> extents(b, EXTENTS));
        add(Opcode.LAYOUT, 23, () -> new LayoutReply(List.of()), b -> b.writeInt(0));
        add(Opcode.COMMIT_WRITE, 24, () -> new CommitWriteRequest(7, 8192, T1), b -> {
            b.writeLong(7);
            b.writeLong(8192);
            time(b, T1);
        });
        add(Opcode.CLOSE, 25, () -> new CloseRequest(7), b -> b.writeLong(7));
        add(Opcode.READ_DATA, 26, () -> new ReadDataRequest(V1, 1 << 20, 65536), b -> {
            str(b, "v1");
            b.writeLong(1 << 20);
            b.writeInt(65536);
        });
        byte[] kib = pattern(1000);
        addData(Opcode.DATA, 27, kib, d -> new DataReply(d), b -> {});
        addData(Opcode.DATA, 28, new byte[0], d -> new DataReply(d), b -> {});
        addData(Opcode.WRITE_DATA, 29, kib, d -> new WriteDataRequest(V1, 4096, d), b -> {
            str(b, "v1");
            b.writeLong(4096);
        });
        addData(Opcode.WRITE_DATA, 30, new byte[0], d -> new WriteDataRequest(V32, 0, d), b -> {
            str(b, V32.value());
            b.writeLong(0);
        });
        add(Opcode.FLUSH, 31, () -> new FlushRequest(V1), b -> str(b, "v1"));
        add(Opcode.VOLUME_INFO, 32, () -> new VolumeInfoRequest(V32), b -> str(b, V32.value()));
        add(Opcode.VOLUME_INFO_REPLY, 33, () -> new VolumeInfoReply(4L << 30, 17), b -> {
            b.writeLong(4L << 30);
            b.writeLong(17);
        });
        addData(Opcode.REPLICA_WRITE, 34, pattern(333), d -> new ReplicaWriteRequest(V1, 8192, d), b -> {
            str(b, "v1");
            b.writeLong(8192);
        });
        add(Opcode.INVALIDATE, 35, () -> new InvalidateRequest(V1, 1000, 16), b -> {
            str(b, "v1");
            b.writeLong(1000);
            b.writeInt(16);
        });
        add(Opcode.MIRROR_BITMAP, 36, () -> new MirrorBitmapRequest(P1, 1, false), b -> {
            str(b, "p1");
            b.writeInt(1);
            b.writeByte(0);
        });
        add(Opcode.MIRROR_BITMAP, 37, () -> new MirrorBitmapRequest(P2, 3, true), b -> {
            str(b, P2.value());
            b.writeInt(3);
            b.writeByte(1);
        });

        add(Opcode.ATTR, 38, () -> new AttrReply(FIFO), b -> attr(b, FIFO));
        add(Opcode.SYMLINK, 39, () -> new SymlinkRequest(1, "latest", "../films/ßeta.mp4", 1000, 100), b -> {
            b.writeLong(1);
            str(b, "latest");
            str(b, "../films/ßeta.mp4");
            b.writeInt(1000);
            b.writeInt(100);
        });
        add(Opcode.READ_LINK, 40, () -> new ReadLinkRequest(12), b -> b.writeLong(12));
        add(Opcode.READ_LINK_REPLY, 41, () -> new ReadLinkReply("/abs/target"), b -> str(b, "/abs/target"));
        add(Opcode.LINK, 42, () -> new LinkRequest(12, 3, "hard"), b -> {
            b.writeLong(12);
            b.writeLong(3);
            str(b, "hard");
        });
        add(Opcode.MAKE_NODE, 43, () -> new MakeNodeRequest(3, "pipe", FileType.FIFO, 0600, 0, 1, 2), b -> {
            b.writeLong(3);
            str(b, "pipe");
            b.writeByte(4);
            b.writeInt(0600);
            b.writeInt(0);
            b.writeInt(1);
            b.writeInt(2);
        });
        add(Opcode.GET_LAYOUT, 44, () -> new GetLayoutRequest(9, 1L << 34, 1L << 20), b -> {
            b.writeLong(9);
            b.writeLong(1L << 34);
            b.writeLong(1L << 20);
        });
        add(Opcode.OPEN_SESSION, 45, () -> new OpenSessionRequest("host-1", 0), b -> {
            str(b, "host-1");
            b.writeLong(0);
        });
        add(Opcode.SESSION, 46, () -> new SessionReply(0x1122334455L, 10_000), b -> {
            b.writeLong(0x1122334455L);
            b.writeInt(10_000);
        });
        add(Opcode.KEEP_ALIVE, 47, () -> new KeepAliveRequest(5), b -> b.writeLong(5));
        add(Opcode.SYNC, 147, SyncRequest::new, b -> {});
        add(Opcode.CACHE_NOTICE, CacheNotice.PUSH_ID, () -> new CacheNotice(List.of(ATTR, FIFO), List.of(12L),
                List.of(new CacheNotice.Entry(1, "a.mp4"), new CacheNotice.Entry(5, "ℓink"))), b -> {
            b.writeInt(2);
            attr(b, ATTR);
            attr(b, FIFO);
            b.writeInt(1);
            b.writeLong(12);
            b.writeInt(2);
            b.writeLong(1);
            str(b, "a.mp4");
            b.writeLong(5);
            str(b, "ℓink");
        });
        add(Opcode.CACHE_NOTICE, CacheNotice.PUSH_ID, CacheNotice::everything, b -> {
            b.writeInt(0);
            b.writeInt(1);
            b.writeLong(CacheNotice.EVERYTHING);
            b.writeInt(0);
        });
        add(Opcode.STORAGE_HEARTBEAT, 48, () -> new StorageHeartbeatRequest(new StorageId("ss2"), 10, 20, 1L << 30,
                List.of(new MirrorStatus(P1, 1, 17, 1L << 20, 5000), new MirrorStatus(P2, 2, 0, 0, 0))), b -> {
            str(b, "ss2");
            b.writeLong(10);
            b.writeLong(20);
            b.writeLong(1L << 30);
            b.writeInt(2);
            str(b, "p1");
            b.writeInt(1);
            b.writeLong(17);
            b.writeLong(1L << 20);
            b.writeLong(5000);
            str(b, P2.value());
            b.writeInt(2);
            b.writeLong(0);
            b.writeLong(0);
            b.writeLong(0);
        });
        add(Opcode.STATUS, 49, StatusRequest::new, b -> {});
        add(Opcode.STATUS_REPLY, 50, () -> new StatusReply(
                List.of(new StorageStatus(new StorageId("ss1"), true, 250, 1, 2, 3)),
                List.of(new MemberStatus(P1, 0, 4, 0, 0, 1L << 30), new MemberStatus(P1, 1, 3, 12, 1 << 20, 0)),
                List.of(new SessionStatus(77, "host-1", 2, 9000))), b -> {
            b.writeInt(1);
            str(b, "ss1");
            b.writeBoolean(true);
            b.writeLong(250);
            b.writeLong(1);
            b.writeLong(2);
            b.writeLong(3);
            b.writeInt(2);
            str(b, "p1");
            b.writeInt(0);
            b.writeInt(4);
            b.writeLong(0);
            b.writeLong(0);
            b.writeLong(1L << 30);
            str(b, "p1");
            b.writeInt(1);
            b.writeInt(3);
            b.writeLong(12);
            b.writeLong(1 << 20);
            b.writeLong(0);
            b.writeInt(1);
            b.writeLong(77);
            str(b, "host-1");
            b.writeInt(2);
            b.writeLong(9000);
        });
        add(Opcode.STATUS_REPLY, 51, () -> new StatusReply(List.of(), List.of(), List.of()), b -> {
            b.writeInt(0);
            b.writeInt(0);
            b.writeInt(0);
        });
        add(Opcode.SET_PAIR, 52, () -> new SetPairRequest(8, P2), b -> {
            b.writeLong(8);
            str(b, P2.value());
        });
        add(Opcode.LOCATE, 53, () -> new LocateRequest(8), b -> b.writeLong(8));
        add(Opcode.LOCATE_REPLY, 54, () -> new LocateReply("p1", EXTENTS), b -> {
            str(b, "p1");
            extents(b, EXTENTS);
        });
        add(Opcode.CHECKSUMS, 55, () -> new ChecksumRequest(V1, 12, 64), b -> {
            str(b, "v1");
            b.writeLong(12);
            b.writeInt(64);
        });
        add(Opcode.CHECKSUMS_REPLY, 56, () -> new ChecksumReply(List.of(0xFFFFFFFFL, 0L, 42L)), b -> {
            b.writeInt(3);
            b.writeLong(0xFFFFFFFFL);
            b.writeLong(0);
            b.writeLong(42);
        });
        add(Opcode.COUNT_INVALID, 57, () -> new CountInvalidRequest(P1, 2, 1L << 20, 4L << 20), b -> {
            str(b, "p1");
            b.writeInt(2);
            b.writeLong(1L << 20);
            b.writeLong(4L << 20);
        });
        add(Opcode.COUNT, 58, () -> new CountReply(1234), b -> b.writeLong(1234));
        add(Opcode.RENEW_LEASE, 60, () -> new RenewLeaseRequest(P2, 2), b -> {
            str(b, P2.value());
            b.writeInt(2);
        });
        add(Opcode.LEASE, 61, () -> new LeaseReply(3000), b -> b.writeInt(3000));
        add(Opcode.LEASE, 62, () -> LeaseReply.WITHHELD, b -> b.writeInt(0));
        add(Opcode.MARK_INVALID, 59, () -> new MarkInvalidRequest(P2, 1, 99, 3), b -> {
            str(b, P2.value());
            b.writeInt(1);
            b.writeLong(99);
            b.writeInt(3);
        });
        byte[] n1 = pattern(32);
        byte[] n2 = new byte[32];
        java.util.Arrays.fill(n2, (byte) 0xA5);
        add(Opcode.AUTH_CHALLENGE, 0, () -> new AuthChallenge(n1), b -> b.writeBytes(n1));
        add(Opcode.AUTH_RESPONSE, 0, () -> new AuthResponse(n2, n1), b -> {
            b.writeBytes(n2);
            b.writeBytes(n1);
        });
        add(Opcode.AUTH_ACCEPTED, 0, () -> new AuthAccepted(n2), b -> b.writeBytes(n2));
    }

    private Samples() {}

    /** The samples of one opcode (empty if it has none). */
    public static List<Sample> of(Opcode opcode) {
        return BY_OPCODE.getOrDefault(opcode, List.of());
    }

    /** Every sample, opcode by opcode. */
    public static List<Sample> all() {
        List<Sample> all = new ArrayList<>();
        BY_OPCODE.values().forEach(all::addAll);
        return Collections.unmodifiableList(all);
    }

    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private static void add(Opcode op, long requestId, Supplier<Message> message, Consumer<ByteBuf> body) {
        List<Sample> list = BY_OPCODE.computeIfAbsent(op, k -> new ArrayList<>());
        list.add(new Sample(op + "#" + list.size(), op, requestId, message, body, new byte[0]));
    }

    private static void addData(Opcode op, long requestId, byte[] data,
                                java.util.function.Function<ByteBuf, Message> make, Consumer<ByteBuf> body) {
        Supplier<Message> message = () -> {
            ByteBuf d = ByteBufAllocator.DEFAULT.buffer(Math.max(1, data.length));
            d.writeBytes(data);
            return make.apply(d);
        };
        List<Sample> list = BY_OPCODE.computeIfAbsent(op, k -> new ArrayList<>());
        list.add(new Sample(op + "#" + list.size() + " (" + data.length + " data bytes)", op, requestId, message,
                body, data));
    }

    static void time(ByteBuf b, Timespec t) {
        b.writeLong(t.seconds());
        b.writeInt(t.nanos());
    }

    static void attr(ByteBuf b, FileAttr a) {
        b.writeLong(a.inode());
        b.writeByte(a.type().code());
        b.writeInt(a.mode());
        b.writeInt(a.nlink());
        b.writeInt(a.uid());
        b.writeInt(a.gid());
        b.writeInt(a.rdev());
        b.writeLong(a.size());
        time(b, a.atime());
        time(b, a.mtime());
        time(b, a.ctime());
    }

    static void extents(ByteBuf b, List<Extent> extents) {
        b.writeInt(extents.size());
        for (Extent e : extents) {
            b.writeLong(e.fileOffset());
            b.writeLong(e.length());
            str(b, e.pair().value());
            b.writeLong(e.volumeOffset());
        }
    }
}
