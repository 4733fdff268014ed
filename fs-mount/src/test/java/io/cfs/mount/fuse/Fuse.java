package io.cfs.mount.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.mount.client.Caller;
import io.cfs.mount.client.CfsClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Calls {@link CfsFuse}'s callbacks as libfuse would, without a mount: every struct and buffer in
 * native memory, the caller ({@link #caller}) supplied instead of taken from a FUSE context.
 */
final class Fuse {
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getSystemRuntime();
    static final int UID = 1234;
    static final int GID = 5678;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_RDWR = 02;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;

    final CfsClient client;
    final CfsFuse fs;
    /** Who the next callbacks come from. */
    volatile Caller caller = Caller.of(UID, GID);
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    Fuse(CfsClient client, int blockSize) {
        this(client, blockSize, false);
    }

    /** @param readOnly the driver of a mount with {@code -o ro} */
    Fuse(CfsClient client, int blockSize, boolean readOnly) {
        this.client = client;
        this.fs = new CfsFuse(client, blockSize, readOnly, false, () -> caller, meters);
        client.bindMetrics(meters);
    }

    static Pointer memory(int bytes) {
        return Memory.allocateDirect(RUNTIME, bytes, true);
    }

    static FileStat newStat() {
        return FileStat.of(memory(256));
    }

    static FuseFileInfo newInfo(int flags) {
        FuseFileInfo fi = FuseFileInfo.of(memory(128));
        fi.flags.set(flags);
        return fi;
    }

    // ---------------------------------------------------------------- namespace

    /** getattr that must succeed. */
    FileStat stat(String path) {
        FileStat st = newStat();
        assertEquals(0, fs.getattr(path, st), "getattr " + path);
        return st;
    }

    int getattr(String path) {
        return fs.getattr(path, newStat());
    }

    FileStat fstat(FuseFileInfo fi) {
        FileStat st = newStat();
        assertEquals(0, fs.fgetattr("/?", st, fi), "fgetattr");
        return st;
    }

    long size(String path) {
        return stat(path).st_size.longValue();
    }

    int mode(String path) {
        return stat(path).st_mode.intValue();
    }

    void mkdirs(String path) {
        StringBuilder at = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            at.append('/').append(part);
            if (getattr(at.toString()) == 0) {
                continue; // as mkdir -p: the kernel finds it and sends no mkdir
            }
            int r = fs.mkdir(at.toString(), 0755);
            assertTrue(r == 0 || r == -17, "mkdir " + at + " -> " + r);
        }
    }

    /** readdir: the names the filler got, in order. */
    List<String> list(String path) {
        List<String> names = new ArrayList<>();
        assertEquals(0, readdir(path, names), "readdir " + path);
        return names;
    }

    /** opendir, then readdir with the handle it gave, as libfuse calls them. */
    int readdir(String path, List<String> names) {
        Pointer buf = memory(16);
        FuseFillDir filler = (Pointer b, ByteBuffer name, Pointer stbuf, long off) -> {
            assertEquals(buf.address(), b.address(), "the filler gets readdir's buffer");
            // as jnr hands it to libfuse: the bytes, NUL-terminated (a NUL inside ends the name)
            ByteBuffer n = name.duplicate();
            int end = n.position();
            while (end < n.limit() && n.get(end) != 0) {
                end++;
            }
            byte[] bytes = new byte[end - n.position()];
            n.get(bytes);
            names.add(new String(bytes, StandardCharsets.UTF_8));
            return 0;
        };
        FuseFileInfo dir = newInfo(0);
        int opened = fs.opendir(path, dir);
        return opened != 0 ? opened : fs.readdir(path, buf, filler, 0, dir);
    }

    String readlink(String path, int size) {
        Pointer buf = memory(size + 16);
        buf.setMemory(0, size + 16, (byte) 'X');
        assertEquals(0, fs.readlink(path, buf, size), "readlink " + path);
        for (int i = size; i < size + 16; i++) {
            assertEquals('X', buf.getByte(i), "readlink wrote past the buffer's " + size + " bytes");
        }
        int n = 0;
        while (n < size && buf.getByte(n) != 0) {
            n++;
        }
        assertTrue(n < size, "readlink's result must be NUL-terminated within the buffer");
        byte[] bytes = new byte[n];
        buf.get(0, bytes, 0, n);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    int utimens(String path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) {
        Timespec a = Timespec.of(memory(16));
        Timespec m = Timespec.of(memory(16));
        a.tv_sec.set(atimeSec);
        a.tv_nsec.set(atimeNsec);
        m.tv_sec.set(mtimeSec);
        m.tv_nsec.set(mtimeNsec);
        return fs.utimens(path, new Timespec[] {a, m});
    }

    Statvfs statfs() {
        Statvfs st = Statvfs.of(memory(256));
        assertEquals(0, fs.statfs("/", st));
        return st;
    }

    // ---------------------------------------------------------------- files

    /** create(2) with O_CREAT|flags that must succeed; returns the open file. */
    FuseFileInfo create(String path, int mode, int flags) {
        FuseFileInfo fi = newInfo(O_CREAT | flags);
        assertEquals(0, fs.create(path, mode, fi), "create " + path);
        return fi;
    }

    FuseFileInfo create(String path) {
        return create(path, 0644, O_RDWR | O_EXCL);
    }

    FuseFileInfo open(String path, int flags) {
        FuseFileInfo fi = newInfo(flags);
        assertEquals(0, fs.open(path, fi), "open " + path);
        return fi;
    }

    int openErr(String path, int flags) {
        return fs.open(path, newInfo(flags));
    }

    /** write(2) of all of {@code data} at {@code offset}, as FUSE calls it (a native buffer). */
    void write(FuseFileInfo fi, long offset, byte[] data) {
        assertEquals(data.length, writeErr(fi, offset, data), "write of " + data.length + " at " + offset);
    }

    int writeErr(FuseFileInfo fi, long offset, byte[] data) {
        Pointer buf = memory(Math.max(1, data.length));
        buf.put(0, data, 0, data.length);
        return fs.write("/?", buf, data.length, offset, fi);
    }

    /** read(2) of up to {@code size} bytes at {@code offset}; the buffer starts full of garbage. */
    byte[] read(FuseFileInfo fi, long offset, int size) {
        Pointer buf = memory(Math.max(1, size));
        buf.setMemory(0, size, (byte) 0x5A);
        int n = fs.read("/?", buf, size, offset, fi);
        assertTrue(n >= 0, "read of " + size + " at " + offset + " failed: " + n);
        byte[] out = new byte[n];
        buf.get(0, out, 0, n);
        return out;
    }

    /** The whole content from {@code offset} in reads of {@code chunk} bytes, until a read returns 0. */
    byte[] readAll(FuseFileInfo fi, int chunk) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long at = 0;
        while (true) {
            byte[] part = read(fi, at, chunk);
            if (part.length == 0) {
                return out.toByteArray();
            }
            out.write(part, 0, part.length);
            at += part.length;
        }
    }

    void flush(FuseFileInfo fi) {
        assertEquals(0, fs.flush("/?", fi), "flush");
    }

    void release(FuseFileInfo fi) {
        assertEquals(0, fs.release("/?", fi), "release");
    }

    /** close(2) as the kernel does it: flush, then release. */
    void close(FuseFileInfo fi) {
        flush(fi);
        release(fi);
    }

    /** Creates a file holding {@code data} and closes it. */
    void put(String path, byte[] data) {
        FuseFileInfo fi = create(path, 0644, O_WRONLY | O_EXCL);
        if (data.length > 0) {
            write(fi, 0, data);
        }
        close(fi);
    }

    /** Opens, reads the whole file in 128 KiB reads, closes. */
    byte[] get(String path) {
        FuseFileInfo fi = open(path, O_RDONLY);
        byte[] all = readAll(fi, 128 << 10);
        close(fi);
        return all;
    }
}
