package io.cfs.mount.fuse;

import static io.cfs.mount.fuse.Fuse.GID;
import static io.cfs.mount.fuse.Fuse.O_EXCL;
import static io.cfs.mount.fuse.Fuse.O_RDONLY;
import static io.cfs.mount.fuse.Fuse.O_RDWR;
import static io.cfs.mount.fuse.Fuse.O_WRONLY;
import static io.cfs.mount.fuse.Fuse.UID;
import static io.cfs.mount.fuse.Fuse.UTIME_NOW;
import static io.cfs.mount.fuse.Fuse.UTIME_OMIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.mount.client.Access;
import io.cfs.mount.client.Caller;
import io.cfs.protocol.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/** The namespace callbacks of {@link CfsFuse}, called directly against an in-process cluster. */
@ExtendWith(LeakCheck.Collecting.class)
class NamespaceCallbacksTest {
    static final int ENOENT = -2;
    static final int EPERM = -1;
    static final int EACCES = -13;
    static final int EEXIST = -17;
    static final int ENOTDIR = -20;
    static final int EISDIR = -21;
    static final int EINVAL = -22;
    static final int ENAMETOOLONG = -36;
    static final int ENOTEMPTY = -39;
    static final int EOPNOTSUPP = -95;

    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static Fuse fuse;
    static Fuse otherHost;
    String base;

    @BeforeAll
    static void up() throws Exception {
        cluster = new InProcessCluster(dir);
        fuse = cluster.fuse("host1");
        otherHost = cluster.fuse("host2");
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void callerAgain() {
        fuse.caller = Caller.of(UID, GID);
    }

    @BeforeEach
    void folder(TestInfo test) {
        base = "/sync/" + test.getTestMethod().orElseThrow().getName();
        assertEquals(0, fuse.fs.mkdir(base, 0755));
    }

    private static int type(FileStat st) {
        return st.st_mode.intValue() & FileStat.S_IFMT;
    }

    private static int perms(FileStat st) {
        return st.st_mode.intValue() & 07777;
    }

    @Test
    void rootIsADirectoryOwnedByRoot() {
        FileStat st = fuse.stat("/");
        assertEquals(FileStat.S_IFDIR, type(st));
        assertEquals(0755, perms(st));
        assertEquals(0, st.st_uid.intValue());
        assertTrue(st.st_nlink.intValue() >= 4, "root holds /sync and /async: nlink " + st.st_nlink.intValue());
        assertEquals(1, st.st_ino.longValue());
    }

    @Test
    void aNewFileHasTheCallersOwnerItsModeAndNanosecondTimes() {
        Instant before = Instant.now();
        fuse.release(fuse.create(base + "/f", 0640, O_WRONLY | O_EXCL));
        FileStat st = fuse.stat(base + "/f");
        assertEquals(FileStat.S_IFREG, type(st));
        assertEquals(0640, perms(st));
        assertEquals(1, st.st_nlink.intValue());
        assertEquals(UID, st.st_uid.intValue());
        assertEquals(GID, st.st_gid.intValue());
        assertEquals(0, st.st_size.longValue());
        Instant mtime = Instant.ofEpochSecond(st.st_mtim.tv_sec.get(), st.st_mtim.tv_nsec.longValue());
        assertFalse(mtime.isBefore(before.minusSeconds(1)) || mtime.isAfter(Instant.now().plusSeconds(1)), "mtime " + mtime);
        long nanos = st.st_mtim.tv_nsec.longValue() + st.st_ctim.tv_nsec.longValue() + st.st_atim.tv_nsec.longValue();
        assertTrue(nanos > 0, "times carry nanoseconds");
        assertEquals(st.st_ctim.tv_sec.get(), st.st_mtim.tv_sec.get());
    }

    @Test
    void timesBeyond2038KeepSecondsAndNanoseconds() {
        fuse.put(base + "/t", new byte[0]);
        long y2100 = 4_102_444_800L;
        long far = 1L << 36; // year ~4147
        assertEquals(0, fuse.utimens(base + "/t", y2100, 123_456_789, far, 987_654_321));
        FileStat st = fuse.stat(base + "/t");
        assertEquals(y2100, st.st_atim.tv_sec.get());
        assertEquals(123_456_789, st.st_atim.tv_nsec.longValue());
        assertEquals(far, st.st_mtim.tv_sec.get());
        assertEquals(987_654_321, st.st_mtim.tv_nsec.longValue());

        // UTIME_OMIT keeps a time, UTIME_NOW sets it to now
        assertEquals(0, fuse.utimens(base + "/t", 0, UTIME_OMIT, 0, UTIME_NOW));
        st = fuse.stat(base + "/t");
        assertEquals(y2100, st.st_atim.tv_sec.get());
        assertEquals(123_456_789, st.st_atim.tv_nsec.longValue());
        assertTrue(Math.abs(st.st_mtim.tv_sec.get() - Instant.now().getEpochSecond()) < 5, "mtime now");
        assertEquals(0, fuse.utimens(base + "/t", 0, UTIME_OMIT, 0, UTIME_OMIT));
        assertEquals(0, fuse.utimens(base + "/t", -1, 5, 1, 0), "a time before 1970");
        assertEquals(-1, fuse.stat(base + "/t").st_atim.tv_sec.get());
        assertEquals(ENOENT, fuse.utimens(base + "/none", 1, 0, 1, 0));
        assertEquals(EINVAL, fuse.utimens(base + "/t", 1, 1_000_000_000, 1, 0), "nanoseconds out of range");
    }

    @Test
    void mkdirRmdirAndReaddir() {
        assertEquals(0, fuse.fs.mkdir(base + "/d", 0750));
        FileStat st = fuse.stat(base + "/d");
        assertEquals(FileStat.S_IFDIR, type(st));
        assertEquals(0750, perms(st));
        assertEquals(2, st.st_nlink.intValue());
        assertEquals(UID, st.st_uid.intValue());
        assertEquals(3, fuse.stat(base).st_nlink.intValue(), "a subdirectory's .. links its parent");
        assertEquals(List.of(".", ".."), fuse.list(base + "/d"));

        fuse.put(base + "/d/b", new byte[0]);
        assertEquals(0, fuse.fs.mkdir(base + "/d/a", 0700));
        assertEquals(List.of(".", "..", "a", "b"), fuse.list(base + "/d"));

        assertEquals(EEXIST, fuse.fs.mkdir(base + "/d/a", 0700));
        assertEquals(EEXIST, fuse.fs.mkdir(base + "/d/b", 0700));
        assertEquals(ENOENT, fuse.fs.mkdir(base + "/none/x", 0700));
        assertEquals(ENOTDIR, fuse.fs.mkdir(base + "/d/b/x", 0700));
        assertEquals(ENOTEMPTY, fuse.fs.rmdir(base + "/d"));
        assertEquals(ENOTDIR, fuse.fs.rmdir(base + "/d/b"));
        assertEquals(EISDIR, fuse.fs.unlink(base + "/d/a"));
        assertEquals(ENOENT, fuse.fs.rmdir(base + "/d/none"));
        assertEquals(ENOTDIR, fuse.readdir(base + "/d/b", new ArrayList<>()));
        assertEquals(ENOENT, fuse.readdir(base + "/none", new ArrayList<>()));

        assertEquals(0, fuse.fs.rmdir(base + "/d/a"));
        assertEquals(0, fuse.fs.unlink(base + "/d/b"));
        assertEquals(ENOENT, fuse.fs.unlink(base + "/d/b"));
        assertEquals(0, fuse.fs.rmdir(base + "/d"));
        assertEquals(ENOENT, fuse.getattr(base + "/d"));
        assertEquals(2, fuse.stat(base).st_nlink.intValue());
    }

    @Test
    void readdirPagesThroughLargeDirectoriesAndPassesNamesAsUtf8() throws Exception {
        int n = 1100;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> made = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String path = base + String.format("/entry-%05d", i);
                made.add(pool.submit(() -> fuse.fs.mknod(path, FileStat.S_IFIFO | 0644, 0)));
            }
            for (Future<Integer> f : made) {
                assertEquals(0, f.get());
            }
        } finally {
            pool.shutdown();
        }
        String utf8 = "vidéo-ü-日本.mp4";
        fuse.put(base + "/" + utf8, new byte[0]);
        List<String> names = fuse.list(base);
        assertEquals(n + 3, names.size());
        assertEquals(List.of(".", ".."), names.subList(0, 2));
        Set<String> unique = new HashSet<>(names);
        assertEquals(names.size(), unique.size(), "no entry twice");
        for (int i = 0; i < n; i++) {
            assertTrue(unique.contains(String.format("entry-%05d", i)), "entry " + i);
        }
        assertTrue(unique.contains(utf8), "the UTF-8 name as it was created: " + names.get(names.size() - 1));
        assertEquals(FileStat.S_IFREG, type(fuse.stat(base + "/" + utf8)));
    }

    @Test
    void createExclusiveOpenAndTheirErrors() {
        FuseFileInfo fi = fuse.create(base + "/f", 0600, O_RDWR | O_EXCL);
        fuse.write(fi, 0, "hello".getBytes(StandardCharsets.US_ASCII));
        fuse.close(fi);
        assertEquals(EEXIST, fuse.fs.create(base + "/f", 0600, Fuse.newInfo(Fuse.O_CREAT | O_EXCL | O_WRONLY)));
        // without O_EXCL an existing file is opened, its data kept
        FuseFileInfo again = fuse.create(base + "/f", 0600, O_RDWR);
        assertEquals(5, fuse.fstat(again).st_size.longValue());
        fuse.close(again);
        assertEquals(5, fuse.size(base + "/f"));

        assertEquals(ENOENT, fuse.openErr(base + "/missing", O_RDONLY));
        assertEquals(ENOENT, fuse.getattr(base + "/missing"));
        assertEquals(ENOENT, fuse.getattr(base + "/missing/x"));
        assertEquals(ENOTDIR, fuse.getattr(base + "/f/x"));
        assertEquals(ENOENT, fuse.fs.create(base + "/missing/f", 0600, Fuse.newInfo(Fuse.O_CREAT | O_WRONLY)));
        assertEquals(EISDIR, fuse.openErr(base, O_RDONLY));
        assertEquals(EISDIR, fuse.fs.create(base, 0600, Fuse.newInfo(Fuse.O_CREAT | O_WRONLY)));
        assertEquals(0, fuse.fs.access(base + "/f", 4));
        assertEquals(ENOENT, fuse.fs.access(base + "/missing", 0));
    }

    @Test
    void namesLongerThan255BytesAreRefused() {
        String max = "n".repeat(255);
        String tooLong = "n".repeat(256);
        String tooLongUtf8 = "é".repeat(128); // 256 bytes
        assertEquals(0, fuse.fs.mkdir(base + "/" + max, 0755));
        assertEquals(ENAMETOOLONG, fuse.fs.mkdir(base + "/" + tooLong, 0755));
        assertEquals(ENAMETOOLONG, fuse.fs.mkdir(base + "/" + tooLongUtf8, 0755));
        assertEquals(ENAMETOOLONG, fuse.fs.create(base + "/" + tooLong, 0644, Fuse.newInfo(Fuse.O_CREAT | O_WRONLY)));
        assertEquals(ENAMETOOLONG, fuse.getattr(base + "/" + tooLong));
        assertEquals(ENAMETOOLONG, fuse.fs.symlink("x", base + "/" + tooLong));
        assertEquals(ENAMETOOLONG, fuse.fs.mknod(base + "/" + tooLong, FileStat.S_IFIFO | 0644, 0));
        assertEquals(ENAMETOOLONG, fuse.fs.rename(base + "/" + max, base + "/" + tooLong));
        assertEquals(ENAMETOOLONG, fuse.fs.symlink("t".repeat(4096), base + "/long-target"));
        assertEquals(0, fuse.fs.symlink("t".repeat(4095), base + "/long-target"));
    }

    @Test
    void renameMovesReplacesAndRefuses() {
        fuse.put(base + "/a", "aaa".getBytes(StandardCharsets.US_ASCII));
        fuse.put(base + "/b", "bbbbbb".getBytes(StandardCharsets.US_ASCII));
        long inodeA = fuse.stat(base + "/a").st_ino.longValue();
        assertEquals(0, fuse.fs.rename(base + "/a", base + "/b"), "replace a file");
        assertEquals(ENOENT, fuse.getattr(base + "/a"));
        assertEquals(inodeA, fuse.stat(base + "/b").st_ino.longValue());
        assertArrayEquals("aaa".getBytes(StandardCharsets.US_ASCII), fuse.get(base + "/b"));

        fuse.mkdirs(base + "/d1/sub");
        fuse.mkdirs(base + "/d2");
        fuse.mkdirs(base + "/full/x");
        assertEquals(ENOTDIR, fuse.fs.rename(base + "/d1", base + "/b"), "a directory onto a file");
        assertEquals(EISDIR, fuse.fs.rename(base + "/b", base + "/d2"), "a file onto a directory");
        assertEquals(ENOTEMPTY, fuse.fs.rename(base + "/d1", base + "/full"), "onto a non-empty directory");
        assertEquals(EINVAL, fuse.fs.rename(base + "/d1", base + "/d1/sub/in"), "into its own subtree");
        assertEquals(ENOENT, fuse.fs.rename(base + "/none", base + "/x"));
        assertEquals(ENOENT, fuse.fs.rename(base + "/b", base + "/none/x"));
        assertEquals(0, fuse.fs.rename(base + "/d1", base + "/d2"), "onto an empty directory");
        assertEquals(FileStat.S_IFDIR, type(fuse.stat(base + "/d2/sub")));
        assertEquals(0, fuse.fs.rename(base + "/b", base + "/d2/sub/b"), "across directories");
        assertArrayEquals("aaa".getBytes(StandardCharsets.US_ASCII), fuse.get(base + "/d2/sub/b"));
        assertEquals(List.of(".", "..", "d2", "full"), fuse.list(base));
    }

    @Test
    void chmodChownAndUtimens() {
        fuse.put(base + "/f", new byte[0]);
        assertEquals(0, fuse.fs.chmod(base + "/f", FileStat.S_IFREG | 04751));
        FileStat st = fuse.stat(base + "/f");
        assertEquals(FileStat.S_IFREG, type(st), "chmod keeps the type");
        assertEquals(04751, perms(st));
        fuse.caller = Caller.ROOT; // only root gives files away
        assertEquals(0, fuse.fs.chown(base + "/f", 42, 43));
        assertEquals(0, fuse.fs.chown(base + "/f", 0xFFFFFFFFL, 44), "uid -1 as FUSE passes it (unsigned)");
        st = fuse.stat(base + "/f");
        assertEquals(42, st.st_uid.intValue());
        assertEquals(44, st.st_gid.intValue());
        assertEquals(0, fuse.fs.chown(base + "/f", 45, -1));
        st = fuse.stat(base + "/f");
        assertEquals(45, st.st_uid.intValue());
        assertEquals(44, st.st_gid.intValue());
        assertEquals(0, fuse.fs.chmod(base, 0700));
        assertEquals(0700, perms(fuse.stat(base)));
        assertEquals(ENOENT, fuse.fs.chmod(base + "/none", 0600));
        assertEquals(ENOENT, fuse.fs.chown(base + "/none", 1, 1));
    }

    @Test
    void theModeBitsDecideWhatAnotherUserMayDo() {
        Caller owner = Caller.of(UID, GID);
        Caller stranger = Caller.of(2000, 2000);
        Caller member = Caller.of(2001, 2001, GID); // in the owner's group as a supplementary group
        fuse.put(base + "/private", "p".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, fuse.fs.chmod(base + "/private", 0640));
        fuse.put(base + "/public", "o".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, fuse.fs.chmod(base + "/public", 0644));
        fuse.mkdirs(base + "/closed/inner");
        fuse.put(base + "/closed/inner/f", new byte[0]);
        assertEquals(0, fuse.fs.chmod(base + "/closed", 0700));

        fuse.mkdirs(base + "/open");
        assertEquals(0, fuse.fs.chmod(base + "/open", 0777));
        fuse.put(base + "/open/owners", new byte[0]);
        assertEquals(0, fuse.fs.chmod(base + "/open/owners", 0600));
        fuse.put(base + "/open/tool", new byte[0]);
        assertEquals(0, fuse.fs.chmod(base + "/open/tool", 0711));

        fuse.caller = stranger;
        assertEquals(EACCES, fuse.fs.create(base + "/open/owners", 0644, Fuse.newInfo(Fuse.O_CREAT | O_RDWR)),
                "a create the kernel sent for a name another host made meanwhile opens it as open(2) would");
        assertEquals(0, fuse.fs.release(base + "/open/tool", fuse.open(base + "/open/tool", O_RDONLY | 040)),
                "an exec (FMODE_EXEC) needs the x bit alone");
        assertEquals(EACCES, fuse.openErr(base + "/open/tool", O_RDONLY));
        assertEquals(EACCES, fuse.openErr(base + "/private", O_RDONLY), "others: no read bit");
        assertEquals(0, fuse.fs.release(base + "/public", fuse.open(base + "/public", O_RDONLY)));
        assertEquals(EACCES, fuse.openErr(base + "/public", O_WRONLY), "others: no write bit");
        assertEquals(EACCES, fuse.openErr(base + "/public", O_RDONLY | Fuse.O_TRUNC), "O_TRUNC needs write");
        assertEquals(EACCES, fuse.getattr(base + "/closed/inner/f"), "no search permission on closed/");
        assertEquals(EACCES, fuse.getattr(base + "/closed/inner"));
        assertEquals(0, fuse.getattr(base + "/closed"), "its own attributes need search on its parent only");
        assertEquals(EACCES, fuse.fs.opendir(base + "/closed", Fuse.newInfo(0)), "no read bit: no listing");
        assertEquals(EACCES, fuse.fs.create(base + "/new", 0644, Fuse.newInfo(Fuse.O_CREAT | O_WRONLY)),
                "no write bit on the directory");
        assertEquals(EACCES, fuse.fs.mkdir(base + "/newdir", 0755));
        assertEquals(EACCES, fuse.fs.unlink(base + "/public"));
        assertEquals(EACCES, fuse.fs.rename(base + "/public", base + "/moved"));
        assertEquals(EPERM, fuse.fs.chmod(base + "/public", 0666), "only the owner changes the mode");
        assertEquals(EPERM, fuse.fs.chown(base + "/public", 2000, -1), "only root gives files away");
        assertEquals(EPERM, fuse.utimens(base + "/public", 1, 0, 1, 0), "only the owner sets times");
        assertEquals(EACCES, fuse.utimens(base + "/public", 0, UTIME_NOW, 0, UTIME_NOW), "touch needs write");
        assertEquals(EACCES, fuse.fs.access(base + "/public", Access.WRITE));
        assertEquals(0, fuse.fs.access(base + "/public", Access.READ));
        assertEquals(0, fuse.fs.access(base + "/private", 0), "F_OK: it exists");

        fuse.caller = member;
        assertEquals(0, fuse.fs.release(base + "/private", fuse.open(base + "/private", O_RDONLY)));
        assertEquals(EACCES, fuse.openErr(base + "/private", O_RDWR), "the group has no write bit");

        fuse.caller = owner;
        assertEquals(0, fuse.fs.chmod(base + "/public", 0646));
        assertEquals(EPERM, fuse.fs.chown(base + "/public", -1, 2000), "the owner is not in group 2000");
        assertEquals(0, fuse.fs.chown(base + "/public", -1, GID), "its own group");
        fuse.caller = stranger;
        assertEquals(0, fuse.utimens(base + "/public", 0, UTIME_NOW, 0, UTIME_NOW), "others may write: touch");
        assertEquals(0, fuse.fs.access(base + "/public", Access.READ | Access.WRITE));

        fuse.caller = Caller.ROOT;
        assertEquals(0, fuse.getattr(base + "/closed/inner/f"), "root searches anything");
        assertEquals(0, fuse.fs.release(base + "/private", fuse.open(base + "/private", O_RDWR)));
        assertEquals(EACCES, fuse.fs.access(base + "/private", Access.EXECUTE), "root executes only what has an x bit");
        assertEquals(0, fuse.fs.access(base + "/closed", Access.EXECUTE), "but searches every directory");
    }

    @Test
    void anOpenDirectoryIsListedWhereverItMoved() {
        fuse.mkdirs(base + "/d");
        fuse.put(base + "/d/inside", new byte[0]);
        FuseFileInfo dir = Fuse.newInfo(0);
        assertEquals(0, fuse.fs.opendir(base + "/d", dir));
        assertEquals(0, fuse.fs.rename(base + "/d", base + "/moved"));
        fuse.mkdirs(base + "/d"); // another directory where it was
        List<String> names = new ArrayList<>();
        assertEquals(0, fuse.fs.readdir(base + "/d", Fuse.memory(16), (b, name, st, off) -> {
            byte[] bytes = new byte[name.remaining()];
            name.duplicate().get(bytes);
            names.add(new String(bytes, StandardCharsets.UTF_8).replace("\0", ""));
            return 0;
        }, 0, dir));
        assertEquals(List.of(".", "..", "inside"), names);
    }

    @Test
    void aStickyDirectoryKeepsEachUsersEntriesToThem() {
        fuse.caller = Caller.ROOT;
        assertEquals(0, fuse.fs.chmod(base, 01777));
        fuse.caller = Caller.of(2000, 2000);
        fuse.put(base + "/theirs", new byte[0]);
        fuse.mkdirs(base + "/theirdir");
        fuse.caller = Caller.of(UID, GID); // owns base: may remove anything in it
        fuse.put(base + "/mine", new byte[0]);
        fuse.caller = Caller.of(2001, 2001);
        assertEquals(EPERM, fuse.fs.unlink(base + "/mine"), "another user's file in a sticky directory");
        assertEquals(EPERM, fuse.fs.rename(base + "/mine", base + "/taken"));
        fuse.put(base + "/own", new byte[0]);
        assertEquals(EPERM, fuse.fs.rename(base + "/own", base + "/theirs"), "nor replace one");
        assertEquals(0, fuse.fs.unlink(base + "/own"));
        fuse.caller = Caller.of(2000, 2000);
        assertEquals(EACCES, fuse.fs.rename(base + "/theirdir", "/sync/elsewhere"), "no write on /sync");
        assertEquals(0, fuse.fs.rmdir(base + "/theirdir"));
        fuse.caller = Caller.of(UID, GID);
        assertEquals(0, fuse.fs.unlink(base + "/theirs"), "the directory's owner may");
    }

    @Test
    void symlinkAndReadlink() {
        assertEquals(0, fuse.fs.symlink("../target/file.mp4", base + "/l"));
        FileStat st = fuse.stat(base + "/l");
        assertEquals(FileStat.S_IFLNK, type(st));
        assertEquals(18, st.st_size.longValue());
        assertEquals(UID, st.st_uid.intValue());
        assertEquals("../target/file.mp4", fuse.readlink(base + "/l", 4096));
        assertEquals("../target/file.mp4", fuse.readlink(base + "/l", 19), "exactly room for the NUL");
        assertEquals("../target/file.mp", fuse.readlink(base + "/l", 18), "cut to the buffer, NUL-terminated");
        assertEquals("..", fuse.readlink(base + "/l", 3));
        assertEquals("", fuse.readlink(base + "/l", 1));
        assertEquals(EEXIST, fuse.fs.symlink("x", base + "/l"));
        fuse.put(base + "/f", new byte[0]);
        assertEquals(EINVAL, fuse.fs.readlink(base + "/f", Fuse.memory(64), 64), "not a symbolic link");
        assertEquals(ENOENT, fuse.fs.readlink(base + "/none", Fuse.memory(64), 64));
        assertEquals(0, fuse.fs.unlink(base + "/l"));
        assertEquals(ENOENT, fuse.getattr(base + "/l"));
    }

    @Test
    void hardLinks() {
        byte[] data = "linked".getBytes(StandardCharsets.US_ASCII);
        fuse.put(base + "/f", data);
        assertEquals(0, fuse.fs.link(base + "/f", base + "/g"));
        FileStat f = fuse.stat(base + "/f");
        FileStat g = fuse.stat(base + "/g");
        assertEquals(2, f.st_nlink.intValue());
        assertEquals(2, g.st_nlink.intValue());
        assertEquals(f.st_ino.longValue(), g.st_ino.longValue());
        assertEquals(EEXIST, fuse.fs.link(base + "/f", base + "/g"));
        assertEquals(ENOENT, fuse.fs.link(base + "/none", base + "/h"));
        assertEquals(EPERM, fuse.fs.link(base, base + "/dirlink"), "link(2) of a directory: EPERM");
        assertEquals(0, fuse.fs.unlink(base + "/f"));
        assertEquals(1, fuse.stat(base + "/g").st_nlink.intValue());
        assertArrayEquals(data, fuse.get(base + "/g"));
    }

    @Test
    void mknodMakesFifosDevicesAndRegularFiles() {
        assertEquals(0, fuse.fs.mknod(base + "/fifo", FileStat.S_IFIFO | 0620, 0));
        FileStat st = fuse.stat(base + "/fifo");
        assertEquals(FileStat.S_IFIFO, type(st));
        assertEquals(0620, perms(st));
        assertEquals(UID, st.st_uid.intValue());
        assertEquals(0, fuse.fs.mknod(base + "/reg", FileStat.S_IFREG | 0604, 0));
        st = fuse.stat(base + "/reg");
        assertEquals(FileStat.S_IFREG, type(st));
        assertEquals(0604, perms(st));
        assertEquals(0, st.st_size.longValue());
        assertEquals(0, fuse.fs.mknod(base + "/chr", FileStat.S_IFCHR | 0600, (1 << 8) | 3));
        st = fuse.stat(base + "/chr");
        assertEquals(FileStat.S_IFCHR, type(st));
        assertEquals((1 << 8) | 3, st.st_rdev.intValue());
        assertEquals(EEXIST, fuse.fs.mknod(base + "/fifo", FileStat.S_IFIFO | 0600, 0));
        assertEquals(EEXIST, fuse.fs.mknod(base + "/reg", FileStat.S_IFREG | 0600, 0));
        assertEquals(EINVAL, fuse.fs.mknod(base + "/bad", 0170000 | 0600, 0), "no such file type");
        assertEquals(List.of(".", "..", "chr", "fifo", "reg"), fuse.list(base));
    }

    @Test
    void statfsReportsTheMasterVolumesAndTheSpaceFilesTake() {
        Statvfs st = fuse.statfs();
        long block = st.f_bsize.longValue();
        assertEquals(4096, block);
        assertEquals(4096, st.f_frsize.longValue());
        assertEquals(2 * InProcessCluster.VOLUME / 4096, st.f_blocks.longValue(), "two pairs of 64 MiB masters");
        assertEquals(255, st.f_namemax.longValue());
        long free = st.f_bfree.longValue();
        assertTrue(free > 0 && free <= st.f_blocks.longValue());
        assertEquals(free, st.f_bavail.longValue());
        FuseFileInfo fi = fuse.create(base + "/big");
        fuse.write(fi, 0, new byte[3 << 20]);
        fuse.close(fi);
        assertEquals(free - (3 << 20) / 4096, fuse.statfs().f_bfree.longValue(), "3 blocks of 1 MiB taken");
        assertEquals(0, fuse.fs.unlink(base + "/big"));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (fuse.statfs().f_bfree.longValue() != free) { // the server frees them just after it answers
            assertTrue(System.nanoTime() < deadline, "the blocks were not given back: " + fuse.statfs().f_bfree.longValue());
            Thread.onSpinWait();
        }
        assertTrue(st.f_ffree.longValue() > 0);
    }

    @Test
    void fallocateIsNotSupportedAndSaysSo() {
        FuseFileInfo fi = fuse.create(base + "/f");
        assertEquals(EOPNOTSUPP, fuse.fs.fallocate(base + "/f", 0, 0, 4096, fi));
        fuse.close(fi);
    }

    @Test
    void truncateByPathOfWhatIsNotAFile() {
        assertEquals(EISDIR, fuse.fs.truncate(base, 0));
        assertEquals(ENOENT, fuse.fs.truncate(base + "/none", 0));
    }

    @Test
    void unlinkOfAnOpenFileKeepsItsDataUntilRelease() {
        byte[] data = Data.random(2 << 20, 7);
        fuse.put(base + "/f", data);
        FuseFileInfo fi = fuse.open(base + "/f", O_RDONLY);
        FuseFileInfo rw = fuse.open(base + "/f", O_RDWR);
        assertEquals(0, fuse.fs.unlink(base + "/f"));
        assertEquals(ENOENT, fuse.getattr(base + "/f"));
        assertEquals(ENOENT, fuse.openErr(base + "/f", O_RDONLY));
        assertArrayEquals(data, fuse.readAll(fi, 100_000));
        assertEquals(0, fuse.fstat(fi).st_nlink.intValue());
        assertEquals(data.length, fuse.fstat(fi).st_size.longValue());
        fuse.write(rw, 10, new byte[] {1, 2, 3});
        fuse.close(rw);
        byte[] changed = data.clone();
        changed[10] = 1;
        changed[11] = 2;
        changed[12] = 3;
        assertArrayEquals(changed, fuse.readAll(fi, 1 << 20));
        long whileOpen = fuse.statfs().f_bfree.longValue();
        fuse.close(fi);
        assertEquals(List.of(".", ".."), fuse.list(base));
        // the file's space is freed once the last handle is gone
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (fuse.statfs().f_bfree.longValue() != whileOpen + data.length / 4096) {
            assertTrue(System.nanoTime() < deadline, "the unlinked file's blocks were not freed after its release");
            Thread.onSpinWait();
        }
    }
}
