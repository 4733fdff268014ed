package io.cfs.meta;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.journal.Journal;
import io.cfs.meta.journal.OperationCodec;
import io.cfs.meta.namespace.Harness;
import io.cfs.meta.namespace.Namespace;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.CommitWriteRequest;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.CreateOpenRequest;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.LayoutReply;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.MakeDirRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.ReadDirReply;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.RenameRequest;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.StatFsReply;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MetadataServerTest extends ServerTestBase {
    @Test
    void aFileLivesThroughCreateOpenAllocateCommitCloseRenameAndARestart() throws Exception {
        RpcClient c = client();
        FileAttr videos = attr(c, new MakeDirRequest(ROOT, "videos", 0755, 1000, 100));
        FileAttr file = attr(c, new CreateFileRequest(videos.inode(), "a.mp4", 0644, 1000, 100, true));
        assertEquals(Timespec.of(clock.instant()), file.ctime());

        OpenReply open = c.call(new OpenRequest(file.inode(), true), OpenReply.class);
        assertEquals(P1, open.pair());
        assertEquals(0, open.member());
        assertEquals(List.of(), open.extents());
        LayoutReply layout = c.call(new AllocateRequest(open.handle(), 0, 3L * BLOCK - 7), LayoutReply.class);
        assertEquals(List.of(new Extent(0, 3L * BLOCK, P1, 0)), layout.extents());
        Timespec written = new Timespec(1_700_000_100L, 9);
        FileAttr committed = attr(c, new CommitWriteRequest(open.handle(), 3L * BLOCK - 7, written));
        assertEquals(3L * BLOCK - 7, committed.size());
        assertEquals(written, committed.mtime());
        c.call(new CloseRequest(open.handle()), OkReply.class);
        fails(ErrorCode.BAD_HANDLE, () -> c.call(new CloseRequest(open.handle()), OkReply.class));

        c.call(new RenameRequest(videos.inode(), "a.mp4", videos.inode(), "b.mp4"), OkReply.class);
        attr(c, new CreateFileRequest(videos.inode(), "c.mp4", 0600, 1, 1, false));
        ReadDirReply listing = c.call(new ReadDirRequest(videos.inode(), "", 10), ReadDirReply.class);
        assertEquals(List.of("b.mp4", "c.mp4"), listing.entries().stream().map(DirEntry::name).toList());
        assertFalse(listing.more());
        StatFsReply stat = c.call(new StatFsRequest(), StatFsReply.class);
        assertEquals(12L * BLOCK, stat.capacityBytes());
        assertEquals(9L * BLOCK, stat.freeBytes());
        assertEquals(4, stat.files());
        assertEquals(BLOCK, stat.blockSize());

        FileAttr before = attr(c, new LookupRequest(videos.inode(), "b.mp4"));
        server.close();
        server = start();
        assertEquals(6, server.snapshotIndex(), "a clean shutdown wrote a snapshot of the 6 records");
        assertEquals(0, server.replayedRecords());
        RpcClient after = client();
        assertEquals(before, attr(after, new LookupRequest(videos.inode(), "b.mp4")));
        assertEquals(listing, after.call(new ReadDirRequest(videos.inode(), "", 10), ReadDirReply.class));
        assertEquals(stat, after.call(new StatFsRequest(), StatFsReply.class));
        OpenReply reopened = after.call(new OpenRequest(file.inode(), false), OpenReply.class);
        assertEquals(layout.extents(), reopened.extents());
        assertEquals(before, reopened.attr());
        assertNotEquals(open.handle(), reopened.handle());
    }

    @Test
    void readersOfAFileAreSpreadOverThePairMembers() {
        RpcClient c = client();
        FileAttr file = attr(c, new CreateFileRequest(ROOT, "popular", 0644, 0, 0, true));
        List<Integer> members = new ArrayList<>();
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            OpenReply open = c.call(new OpenRequest(file.inode(), false), OpenReply.class);
            members.add(open.member());
            handles.add(open.handle());
        }
        assertEquals(List.of(0, 1, 2, 0), members);
        c.call(new CloseRequest(handles.get(1)), OkReply.class);
        assertEquals(1, c.call(new OpenRequest(file.inode(), false), OpenReply.class).member());
        OpenReply readOnly = c.call(new OpenRequest(file.inode(), false), OpenReply.class);
        fails(ErrorCode.PERMISSION_DENIED, () -> c.call(new AllocateRequest(readOnly.handle(), 0, 1), LayoutReply.class));
    }

    @Test
    void createOpenCreatesAndOpensInOneRequest() {
        RpcClient c = client();
        OpenReply created = c.call(new CreateOpenRequest(ROOT, "new.mp4", 0640, 7, 8, true, true), OpenReply.class);
        assertEquals(List.of(0640, 7, 8, 0L), List.of(created.attr().mode(), created.attr().uid(), created.attr().gid(),
                created.attr().size()));
        assertEquals(created.attr(), attr(c, new LookupRequest(ROOT, "new.mp4")), "the file is in the namespace");
        // the handle is a writer's: it allocates and commits
        c.call(new AllocateRequest(created.handle(), 0, 1), LayoutReply.class);
        fails(ErrorCode.ALREADY_EXISTS,
                () -> c.call(new CreateOpenRequest(ROOT, "new.mp4", 0644, 0, 0, true, false), OpenReply.class));
        // without exclusive, the existing file is opened: by the next member of the Usage Table
        OpenReply again = c.call(new CreateOpenRequest(ROOT, "new.mp4", 0644, 0, 0, false, false), OpenReply.class);
        assertEquals(created.attr().inode(), again.attr().inode());
        assertNotEquals(created.handle(), again.handle());
        assertEquals(List.of(0, 1), List.of(created.member(), again.member()));
        fails(ErrorCode.PERMISSION_DENIED, () -> c.call(new AllocateRequest(again.handle(), 0, 1), LayoutReply.class));
        c.call(new MakeDirRequest(ROOT, "videos", 0755, 0, 0), AttrReply.class);
        fails(ErrorCode.IS_A_DIRECTORY,
                () -> c.call(new CreateOpenRequest(ROOT, "videos", 0644, 0, 0, false, false), OpenReply.class));
    }

    @Test
    void aFileUnlinkedWhileOpenKeepsItsBlocksUntilTheLastClose() throws Exception {
        RpcClient c = client();
        FileAttr file = attr(c, new CreateFileRequest(ROOT, "tmp", 0644, 0, 0, true));
        OpenReply writer = c.call(new OpenRequest(file.inode(), true), OpenReply.class);
        OpenReply reader = c.call(new OpenRequest(file.inode(), false), OpenReply.class);
        c.call(new AllocateRequest(writer.handle(), 0, 2L * BLOCK), LayoutReply.class);
        c.call(new RemoveRequest(ROOT, "tmp", false), OkReply.class);
        long used = 12L * BLOCK - 2L * BLOCK;
        assertEquals(used, c.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        assertEquals(0, attr(c, new GetAttrRequest(file.inode())).nlink(), "still there for its handles");
        fails(ErrorCode.NOT_FOUND, () -> c.call(new OpenRequest(file.inode(), false), OpenReply.class));
        c.call(new AllocateRequest(writer.handle(), 2L * BLOCK, BLOCK), LayoutReply.class);
        c.call(new CloseRequest(writer.handle()), OkReply.class);
        assertEquals(9L * BLOCK, c.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        c.call(new CloseRequest(reader.handle()), OkReply.class);
        eventually("the last close frees the blocks",
                () -> c.call(new StatFsRequest(), StatFsReply.class).freeBytes() == 12L * BLOCK);
        fails(ErrorCode.NOT_FOUND, () -> c.call(new GetAttrRequest(file.inode()), AttrReply.class));
    }

    @Test
    void aLostConnectionClosesItsHandles() throws Exception {
        RpcClient c = client();
        FileAttr file = attr(c, new CreateFileRequest(ROOT, "tmp", 0644, 0, 0, true));
        RpcClient other = client();
        OpenReply open = other.call(new OpenRequest(file.inode(), true), OpenReply.class);
        other.call(new AllocateRequest(open.handle(), 0, BLOCK), LayoutReply.class);
        fails(ErrorCode.BAD_HANDLE, () -> c.call(new CloseRequest(open.handle()), OkReply.class));
        c.call(new RemoveRequest(ROOT, "tmp", false), OkReply.class);
        assertEquals(11L * BLOCK, c.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        other.close();
        eventually("the session's end frees the blocks",
                () -> c.call(new StatFsRequest(), StatFsReply.class).freeBytes() == 12L * BLOCK);
        OpenReply next = c.call(new OpenRequest(attr(c, new CreateFileRequest(ROOT, "x", 0644, 0, 0, true)).inode(),
                false), OpenReply.class);
        assertEquals(0, next.member(), "the lost session's count on member 0 was released");
    }

    @Test
    void anOrphanLeftByACrashIsFreedAtStart() throws Exception {
        server.close();
        server = null;
        Topology topology = TestTopologies.twoPairs(dir);
        long file;
        try (Journal journal = Journal.open(dir.resolve("meta").resolve("journal"), clock,
                new OperationCodec(topology.pairs().keySet()))) {
            Namespace ns = journal.recover(topology);
            Harness h = new Harness(ns, op -> {
                try {
                    journal.append(List.of(op));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            file = h.create(ROOT, "tmp");
            h.allocate(file, 0, 4L * BLOCK);
            h.remove(ROOT, "tmp", false); // still open when the server died: no FreeOrphan follows
            assertTrue(ns.isOrphan(file));
        }
        server = start();
        assertEquals(3, server.replayedRecords());
        RpcClient after = client();
        assertEquals(12L * BLOCK, after.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        fails(ErrorCode.NOT_FOUND, () -> after.call(new GetAttrRequest(file), AttrReply.class));
        server.close();
        server = start();
        assertEquals(4, server.snapshotIndex(), "the free was journaled");
    }

    @Test
    void everyNameIsOnePathComponentCheckedAtTheServer() {
        RpcClient c = client();
        for (String bad : new String[] {"", ".", "..", "a/b", "/", "nul\0inside"}) {
            CfsException e = fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new MakeDirRequest(ROOT, bad, 0755, 0, 0),
                    AttrReply.class));
            assertTrue(e.getMessage().contains("name"), e.getMessage());
            fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new CreateFileRequest(ROOT, bad, 0644, 0, 0, true),
                    AttrReply.class));
        }
        fails(ErrorCode.NAME_TOO_LONG, () -> c.call(new MakeDirRequest(ROOT, "é".repeat(128), 0755, 0, 0),
                AttrReply.class)); // 256 bytes
        attr(c, new MakeDirRequest(ROOT, "é".repeat(127) + "x", 0755, 0, 0)); // 255 bytes
    }

    @Test
    void errorsCarryTheirCodeAndNameTheObject() {
        RpcClient c = client();
        CfsException missing = fails(ErrorCode.NOT_FOUND, () -> c.call(new LookupRequest(ROOT, "foo"), AttrReply.class));
        assertEquals("no entry 'foo' in directory 1", missing.getMessage());
        attr(c, new MakeDirRequest(ROOT, "d", 0755, 0, 0));
        fails(ErrorCode.ALREADY_EXISTS, () -> c.call(new MakeDirRequest(ROOT, "d", 0755, 0, 0), AttrReply.class));
        fails(ErrorCode.NAME_TOO_LONG, () -> c.call(new CreateFileRequest(ROOT, "n".repeat(300), 0644, 0, 0, true),
                AttrReply.class));
        fails(ErrorCode.IS_A_DIRECTORY, () -> c.call(new RemoveRequest(ROOT, "d", false), OkReply.class));
        fails(ErrorCode.BAD_HANDLE, () -> c.call(new AllocateRequest(12345, 0, 1), LayoutReply.class));
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new ReadDirRequest(ROOT, "", 0), ReadDirReply.class));
        fails(ErrorCode.IS_A_DIRECTORY, () -> c.call(new OpenRequest(ROOT, false), OpenReply.class));
        CfsException wrong = fails(ErrorCode.UNSUPPORTED,
                () -> c.call(new VolumeInfoRequest(new VolumeId("v1")), OkReply.class));
        assertTrue(wrong.getMessage().contains("VOLUME_INFO"), wrong.getMessage());
        Timespec t = new Timespec(5, 0);
        FileAttr changed = attr(c, new SetAttrRequest(ROOT, SetAttrRequest.MODE, 0700, 0, 0, 0, t, t));
        assertEquals(0700, changed.mode());
    }

    @Test
    void concurrentMutationsAllLandAndSurviveARestart() throws Exception {
        RpcClient c = client();
        List<CompletableFuture<Message>> calls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            calls.add(c.call(new MakeDirRequest(ROOT, String.format("dir-%03d", i), 0755, 0, 0)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        ReadDirReply page = c.call(new ReadDirRequest(ROOT, "dir-149", 1000), ReadDirReply.class);
        assertEquals(150, page.entries().size());
        assertEquals(302, attr(c, new GetAttrRequest(ROOT)).nlink());
        server.close();
        server = start();
        RpcClient after = client();
        assertEquals(302, attr(after, new GetAttrRequest(ROOT)).nlink());
        assertEquals(page, after.call(new ReadDirRequest(ROOT, "dir-149", 1000), ReadDirReply.class));
    }

    @Test
    void aSecondServerOnTheSameDataFolderIsRefused() {
        IOException e = assertThrows(IOException.class, this::start);
        assertTrue(e.getMessage().contains("locked"), e.getMessage());
    }
}
