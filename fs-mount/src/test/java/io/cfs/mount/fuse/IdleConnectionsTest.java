package io.cfs.mount.fuse;

import static io.cfs.mount.fuse.Fuse.O_RDONLY;
import static io.cfs.mount.fuse.Fuse.O_RDWR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cfs.protocol.LeakCheck;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * A mount left idle for longer than the cluster's idle timeout (1 s here) keeps working: its
 * connections are retired before the daemons would close them and the next call reconnects,
 * authenticates and resumes the session, with the open files it holds.
 */
@ExtendWith(LeakCheck.Collecting.class)
class IdleConnectionsTest {
    static final long IDLE_MS = 1000;

    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static Fuse fuse;

    @BeforeAll
    static void up() throws Exception {
        cluster = new InProcessCluster(dir, "idle-timeout=" + IDLE_MS + "ms");
        fuse = cluster.fuse("idle-host");
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aMountIdleForLongerThanTheTimeoutStillReadsAndWritesItsOpenFiles() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(6).nextBytes(data);
        for (String pairDir : new String[] {"sync", "async"}) {
            String path = "/" + pairDir + "/idle.bin";
            fuse.put(path, data);
            FuseFileInfo open = fuse.open(path, O_RDWR);
            Thread.sleep(IDLE_MS * 5 / 2); // every connection goes idle for longer than the timeout

            assertArrayEquals(data, fuse.readAll(open, 128 << 10), pairDir + ": read of a file opened before");
            byte[] more = {1, 2, 3, 4};
            fuse.write(open, data.length, more);
            fuse.close(open);
            Thread.sleep(IDLE_MS * 5 / 2);

            assertEquals(data.length + more.length, fuse.size(path), pairDir);
            FuseFileInfo again = fuse.open(path, O_RDONLY);
            assertArrayEquals(more, fuse.read(again, data.length, more.length), pairDir + ": the write after the idle time");
            fuse.close(again);
        }
    }
}
