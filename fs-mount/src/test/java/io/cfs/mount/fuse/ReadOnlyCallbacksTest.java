package io.cfs.mount.fuse;

import static io.cfs.mount.fuse.Fuse.O_RDONLY;
import static io.cfs.mount.fuse.Fuse.O_RDWR;
import static io.cfs.mount.fuse.Fuse.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cfs.protocol.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * A read-only mount ({@code -o ro}): every callback that would change the file system answers
 * EROFS and changes nothing, whatever the kernel let through; reads work as on any mount.
 */
@ExtendWith(LeakCheck.Collecting.class)
class ReadOnlyCallbacksTest {
    static final int EROFS = -30;
    static final byte[] DATA = "a video".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static Fuse writer;
    static Fuse ro;

    @BeforeAll
    static void up() throws Exception {
        cluster = new InProcessCluster(dir);
        writer = cluster.fuse("writer");
        ro = cluster.readOnlyFuse("viewer");
        writer.mkdirs("/sync/ro");
        writer.put("/sync/ro/f", DATA);
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void readsWork() {
        assertArrayEquals(DATA, ro.get("/sync/ro/f"));
        assertEquals(DATA.length, ro.size("/sync/ro/f"));
        assertEquals(java.util.List.of(".", "..", "f"), ro.list("/sync/ro"));
    }

    @Test
    void everyChangeIsRefusedWithErofsAndChangesNothing() {
        CfsFuse fs = ro.fs;
        assertEquals(EROFS, fs.create("/sync/ro/new", 0644, Fuse.newInfo(Fuse.O_CREAT | O_WRONLY)), "create");
        assertEquals(EROFS, fs.mkdir("/sync/ro/d", 0755), "mkdir");
        assertEquals(EROFS, fs.mknod("/sync/ro/n", 0644, 0), "mknod");
        assertEquals(EROFS, fs.symlink("f", "/sync/ro/s"), "symlink");
        assertEquals(EROFS, fs.link("/sync/ro/f", "/sync/ro/l"), "link");
        assertEquals(EROFS, fs.rename("/sync/ro/f", "/sync/ro/g"), "rename");
        assertEquals(EROFS, fs.unlink("/sync/ro/f"), "unlink");
        assertEquals(EROFS, fs.rmdir("/sync/ro"), "rmdir");
        assertEquals(EROFS, fs.chmod("/sync/ro/f", 0600), "chmod");
        assertEquals(EROFS, fs.chown("/sync/ro/f", 1, 1), "chown");
        assertEquals(EROFS, fs.truncate("/sync/ro/f", 0), "truncate");
        assertEquals(EROFS, ro.utimens("/sync/ro/f", 1, 0, 1, 0), "utimens");
        assertEquals(EROFS, ro.openErr("/sync/ro/f", O_WRONLY), "open for writing");
        assertEquals(EROFS, ro.openErr("/sync/ro/f", O_RDWR), "open for reading and writing");

        // a handle opened for reading cannot be written or truncated through either
        FuseFileInfo fi = ro.open("/sync/ro/f", O_RDONLY);
        assertEquals(EROFS, ro.writeErr(fi, 0, "x".getBytes(StandardCharsets.UTF_8)), "write");
        assertEquals(EROFS, fs.ftruncate("/?", 0, fi), "ftruncate");
        ro.close(fi);

        assertEquals(java.util.List.of(".", "..", "f"), writer.list("/sync/ro"));
        assertArrayEquals(DATA, writer.get("/sync/ro/f"));
        assertEquals(0644, writer.mode("/sync/ro/f") & 07777);
    }
}
