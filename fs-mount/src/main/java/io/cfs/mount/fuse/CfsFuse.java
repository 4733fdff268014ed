package io.cfs.mount.fuse;

import io.cfs.mount.client.Caller;
import io.cfs.mount.client.CfsClient;
import io.cfs.mount.client.OpenFlags;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.StatFsReply;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The file system driver: each FUSE callback is one line into {@link FuseCall} around the
 * {@link CfsClient}. Callbacks not overridden here are not registered, so the kernel answers
 * ENOSYS for them rather than a faked success. The only place that knows jnr-fuse.
 */
public final class CfsFuse extends FuseStubFS {
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int STATFS_BLOCK = 4096;

    private final CfsClient client;
    private final int blockSize;
    private final FuseCall call;
    private final Supplier<Caller> caller;

    /**
     * The driver as mounted: the caller of each request is taken from its FUSE context.
     *
     * @param readOnly     refuse every change (creates, writes, renames, chmod, ...) with EROFS
     * @param kernelChecks the mount has {@code default_permissions}: the kernel checks every
     *                     request's permissions before it reaches CFS, which does not check again
     * @param registry     where each callback's count, latency, errors and bytes go (see {@link FuseCall})
     */
    public CfsFuse(CfsClient client, int blockSize, boolean readOnly, boolean kernelChecks, MeterRegistry registry) {
        this(client, blockSize, readOnly, kernelChecks, null, registry);
    }

    /**
     * @param caller who makes each request, or null for the FUSE context's uid, gid and pid (which
     *               exists only inside a callback of a mounted file system; tests supply their own)
     */
    CfsFuse(CfsClient client, int blockSize, boolean readOnly, boolean kernelChecks, Supplier<Caller> caller,
            MeterRegistry registry) {
        this.client = client;
        this.blockSize = blockSize;
        this.caller = caller != null ? caller : () -> contextCaller(kernelChecks);
        this.call = new FuseCall(registry, readOnly);
        acceptUtimeOmit();
    }

    /**
     * Sets fuse_operations.flag_utime_omit_ok (bit 2 of the flag word after {@code bmap}; jnr-fuse
     * only reserves the word). Without it libfuse 2's setattr calls utimens only when both times
     * are set, and silently drops a change of the mtime alone: {@code touch -m}, and the
     * futimens(fd, {UTIME_OMIT, mtime}) with which tar restores each file's mtime.
     */
    private void acceptUtimeOmit() {
        long flags;
        try { // offset() is public, but declared by a class jnr-ffi does not export
            Object firstFlag = fuseOperations.flag_nullpath_ok;
            java.lang.reflect.Method offset = firstFlag.getClass().getMethod("offset");
            offset.setAccessible(true);
            flags = (long) offset.invoke(firstFlag);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot find fuse_operations' flag word in this jnr-fuse: " + e, e);
        }
        jnr.ffi.Pointer ops = jnr.ffi.Struct.getMemory(fuseOperations);
        ops.putByte(flags, (byte) (ops.getByte(flags) | 0b100));
    }

    /** Per-operation counts and latencies so far. */
    public String stats() {
        return call.summary();
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return call.run("getattr", path, () -> fill(client.getattr(caller(), path), stat));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return call.run("fgetattr", path, () -> fill(client.getattr(fi.fh.get()), stat));
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return call.run("opendir", path, () -> listable(fi, client.opendir(caller(), path)));
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        return call.run("readdir", path, () -> listInto(fi.fh.get(), buf, filter));
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call.mutate("mkdir", path, () -> done(client.mkdir(caller(), path, (int) mode)));
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return call.mutate("symlink", newpath, () -> done(client.symlink(caller(), oldpath, newpath)));
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return call.run("readlink", path, () -> copyLink(client.readlink(caller(), path), buf, size));
    }

    @Override
    public int link(String oldpath, String newpath) {
        return call.mutate("link", newpath, () -> done(client.link(caller(), oldpath, newpath)));
    }

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return call.mutate("mknod", path, () -> makeNode(path, (int) mode, (int) rdev));
    }

    @Override
    public int access(String path, int mask) {
        return call.run("access", path, () -> ok(() -> client.access(caller(), path, mask)));
    }

    @Override
    public int rmdir(String path) {
        return call.mutate("rmdir", path, () -> ok(() -> client.rmdir(caller(), path)));
    }

    @Override
    public int unlink(String path) {
        return call.mutate("unlink", path, () -> ok(() -> client.unlink(caller(), path)));
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return call.mutate("rename", oldpath, () -> ok(() -> client.rename(caller(), oldpath, newpath)));
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return call.mutate("chmod", path, () -> ok(() -> client.chmod(caller(), path, (int) mode)));
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return call.mutate("chown", path, () -> ok(() -> client.chown(caller(), path, (int) uid, (int) gid)));
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return call.mutate("truncate", path, () -> ok(() -> client.truncate(caller(), path, size)));
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return call.mutate("ftruncate", path, () -> ok(() -> client.ftruncate(fi.fh.get(), size)));
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return call.mutate("utimens", path, () -> ok(() -> client.utimens(caller(), path, time(timespec[0]),
                time(timespec[1]), now(timespec[0]) && now(timespec[1]))));
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return call.run("statfs", path, () -> fill(client.statfs(), stbuf));
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return call.mutate("create", path, () -> opened(fi, client.create(caller(), path, (int) mode, fi.flags.get())));
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        FuseCall.Body open = () -> opened(fi, client.open(caller(), path, fi.flags.get()));
        return OpenFlags.writable(fi.flags.get()) ? call.mutate("open", path, open) : call.run("open", path, open);
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call.run("read", path, () -> client.read(fi.fh.get(), offset, view(buf, size).writerIndex(0)));
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call.mutate("write", path, () -> written(size, () -> client.write(fi.fh.get(), offset, view(buf, size))));
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return call.run("flush", path, () -> ok(() -> client.flush(fi.fh.get())));
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return call.run("fsync", path, () -> ok(() -> client.fsync(fi.fh.get())));
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return call.run("release", path, () -> ok(() -> client.release(fi.fh.get())));
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        return call.mutate("fallocate", path, () -> unsupported("fallocate"));
    }

    // ---------------------------------------------------------------- adapters

    private interface Action {
        void run();
    }

    private static int unsupported(String operation) {
        throw new CfsException(ErrorCode.UNSUPPORTED, operation + " is not supported by CFS");
    }

    private static int ok(Action action) {
        action.run();
        return 0;
    }

    private static int done(Object ignored) {
        return 0;
    }

    private static int written(long size, Action action) {
        action.run();
        return (int) size;
    }

    /** Offset of the bit-field word after {@code writepage} in libfuse 2's struct fuse_file_info (x86-64). */
    private static final int FILE_INFO_FLAGS_WORD = 20;
    private static final int KEEP_CACHE_BIT = 1 << 1;

    private int opened(FuseFileInfo fi, long handle) {
        fi.fh.set(handle);
        // jnr-fuse does not expose keep_cache; it is bit 1 of the word before fh (which sits at 24)
        if (client.keepCache(handle) && fi.fh.offset() == FILE_INFO_FLAGS_WORD + 4) {
            Pointer memory = jnr.ffi.Struct.getMemory(fi);
            memory.putInt(FILE_INFO_FLAGS_WORD, memory.getInt(FILE_INFO_FLAGS_WORD) | KEEP_CACHE_BIT);
        }
        return 0;
    }

    /** An opened directory: readdir lists the inode in the handle, wherever the path leads by then. */
    private static int listable(FuseFileInfo fi, long dir) {
        fi.fh.set(dir);
        return 0;
    }

    /** A view of FUSE's buffer as a ByteBuf (no copy); readable bytes = size. */
    private static ByteBuf view(Pointer buf, long size) {
        return Unpooled.wrappedBuffer(buf.address(), (int) size, false);
    }

    /** readlink(2) into FUSE's buffer: the target, cut to fit, NUL-terminated. */
    private static int copyLink(String target, Pointer buf, long size) {
        if (size < 1) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "readlink into a buffer of " + size + " bytes");
        }
        byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(bytes.length, size - 1);
        buf.put(0, bytes, 0, n);
        buf.putByte(n, (byte) 0);
        return 0;
    }

    private int makeNode(String path, int mode, int rdev) {
        int kind = mode & FileStat.S_IFMT;
        if (kind == FileStat.S_IFREG || kind == 0) {
            client.createFile(caller(), path, mode);
            return 0;
        }
        FileType type;
        if (kind == FileStat.S_IFIFO) {
            type = FileType.FIFO;
        } else if (kind == FileStat.S_IFCHR) {
            type = FileType.CHAR_DEVICE;
        } else if (kind == FileStat.S_IFBLK) {
            type = FileType.BLOCK_DEVICE;
        } else if (kind == FileStat.S_IFSOCK) {
            type = FileType.SOCKET;
        } else {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "mknod of file type 0" + Integer.toOctalString(kind)
                    + ": expected a regular file, FIFO, socket or device");
        }
        client.mknod(caller(), path, type, mode, rdev);
        return 0;
    }

    private Caller contextCaller(boolean kernelChecks) {
        FuseContext context = getContext();
        return new Caller((int) context.uid.get(), (int) context.gid.get(), new ProcGroups(context.pid.get()),
                kernelChecks);
    }

    private Caller caller() {
        return caller.get();
    }

    private int listInto(long dir, Pointer buf, FuseFillDir filter) {
        List<DirEntry> entries = client.readdir(dir);
        filter.apply(buf, utf8("."), null, 0);
        filter.apply(buf, utf8(".."), null, 0);
        for (DirEntry e : entries) {
            if (filter.apply(buf, utf8(e.name()), null, 0) != 0) {
                break;
            }
        }
        return 0;
    }

    /** A name for the filler: UTF-8 whatever the default charset (which FuseFillDir's String variant uses). */
    private static ByteBuffer utf8(String name) {
        return ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8));
    }

    private int fill(FileAttr a, FileStat stat) {
        int type = switch (a.type()) {
            case DIRECTORY -> FileStat.S_IFDIR;
            case REGULAR -> FileStat.S_IFREG;
            case SYMLINK -> FileStat.S_IFLNK;
            case FIFO -> FileStat.S_IFIFO;
            case CHAR_DEVICE -> FileStat.S_IFCHR;
            case BLOCK_DEVICE -> FileStat.S_IFBLK;
            case SOCKET -> FileStat.S_IFSOCK;
        };
        stat.st_ino.set(a.inode());
        stat.st_mode.set(type | (a.mode() & 07777));
        stat.st_nlink.set(a.nlink());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_rdev.set(a.rdev());
        stat.st_size.set(a.size());
        stat.st_blksize.set(blockSize);
        stat.st_blocks.set((a.size() + 511) / 512);
        stat.st_atim.tv_sec.set(a.atime().seconds());
        stat.st_atim.tv_nsec.set(a.atime().nanos());
        stat.st_mtim.tv_sec.set(a.mtime().seconds());
        stat.st_mtim.tv_nsec.set(a.mtime().nanos());
        stat.st_ctim.tv_sec.set(a.ctime().seconds());
        stat.st_ctim.tv_nsec.set(a.ctime().nanos());
        return 0;
    }

    private int fill(StatFsReply s, Statvfs st) {
        st.f_bsize.set(STATFS_BLOCK);
        st.f_frsize.set(STATFS_BLOCK);
        st.f_blocks.set(s.capacityBytes() / STATFS_BLOCK);
        st.f_bfree.set(s.freeBytes() / STATFS_BLOCK);
        st.f_bavail.set(s.freeBytes() / STATFS_BLOCK);
        st.f_files.set(s.files() + (1L << 32));
        st.f_ffree.set(1L << 32);
        st.f_favail.set(1L << 32);
        st.f_namemax.set(255);
        return 0;
    }

    private static boolean now(Timespec t) {
        return t.tv_nsec.longValue() == UTIME_NOW;
    }

    /** A FUSE time, or null for UTIME_OMIT; UTIME_NOW becomes the current time. */
    private static io.cfs.protocol.message.Timespec time(Timespec t) {
        long nanos = t.tv_nsec.longValue();
        if (nanos == UTIME_OMIT) {
            return null;
        }
        if (nanos == UTIME_NOW) {
            return io.cfs.protocol.message.Timespec.of(java.time.Instant.now());
        }
        if (nanos < 0 || nanos > 999_999_999) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "time with " + nanos + " nanoseconds: expected 0..999999999");
        }
        return new io.cfs.protocol.message.Timespec(t.tv_sec.get(), (int) nanos);
    }
}
