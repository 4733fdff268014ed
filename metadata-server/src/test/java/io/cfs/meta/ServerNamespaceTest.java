package io.cfs.meta;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.GetLayoutRequest;
import io.cfs.protocol.message.LayoutReply;
import io.cfs.protocol.message.LinkRequest;
import io.cfs.protocol.message.LocateReply;
import io.cfs.protocol.message.LocateRequest;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.MakeDirRequest;
import io.cfs.protocol.message.MakeNodeRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.ReadDirReply;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.protocol.message.ReadLinkReply;
import io.cfs.protocol.message.ReadLinkRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.RenameRequest;
import io.cfs.protocol.message.SetPairRequest;
import io.cfs.protocol.message.StatFsReply;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.SymlinkRequest;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.topology.PairId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Links, nodes, layouts, pins and snapshots over the wire. */
class ServerNamespaceTest extends ServerTestBase {
    @Test
    void linksSymlinksAndNodesSurviveARestart() throws Exception {
        RpcClient c = client();
        FileAttr d = attr(c, new MakeDirRequest(ROOT, "d", 0755, 0, 0));
        FileAttr file = attr(c, new CreateFileRequest(d.inode(), "movie", 0644, 1, 1, true));
        FileAttr link = attr(c, new SymlinkRequest(ROOT, "latest", "d/movie", 7, 8));
        assertEquals(FileType.SYMLINK, link.type());
        assertEquals(0777, link.mode());
        assertEquals(7, link.size());
        assertEquals("d/movie", c.call(new ReadLinkRequest(link.inode()), ReadLinkReply.class).target());
        FileAttr linked = attr(c, new LinkRequest(file.inode(), ROOT, "hard"));
        assertEquals(2, linked.nlink());
        FileAttr dev = attr(c, new MakeNodeRequest(d.inode(), "null", FileType.CHAR_DEVICE, 0666, 259, 0, 0));
        assertEquals(259, dev.rdev());
        FileAttr fifo = attr(c, new MakeNodeRequest(d.inode(), "pipe", FileType.FIFO, 0600, 0, 0, 0));
        fails(ErrorCode.PERMISSION_DENIED, () -> c.call(new LinkRequest(d.inode(), ROOT, "d2"), AttrReply.class));
        fails(ErrorCode.ALREADY_EXISTS, () -> c.call(new LinkRequest(file.inode(), ROOT, "d"), AttrReply.class));
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new ReadLinkRequest(file.inode()), ReadLinkReply.class));
        fails(ErrorCode.NAME_TOO_LONG, () -> c.call(new SymlinkRequest(ROOT, "l", "x".repeat(4096), 0, 0),
                AttrReply.class));
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new MakeNodeRequest(ROOT, "r", FileType.REGULAR, 0644, 0, 0, 0),
                AttrReply.class));
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new OpenRequest(fifo.inode(), false), OpenReply.class));
        c.call(new RenameRequest(ROOT, "hard", d.inode(), "movie"), OkReply.class);
        assertEquals(2, attr(c, new GetAttrRequest(file.inode())).nlink(), "two names of one file: a no-op");
        c.call(new RemoveRequest(d.inode(), "movie", false), OkReply.class);
        assertEquals(1, attr(c, new GetAttrRequest(file.inode())).nlink());
        ReadDirReply listing = c.call(new ReadDirRequest(d.inode(), "", 10), ReadDirReply.class);
        assertEquals(List.of(FileType.CHAR_DEVICE, FileType.FIFO),
                listing.entries().stream().map(DirEntry::type).toList());

        FileAttr hard = attr(c, new LookupRequest(ROOT, "hard"));
        server.close();
        server = start();
        RpcClient after = client();
        assertEquals(hard, attr(after, new LookupRequest(ROOT, "hard")));
        assertEquals("d/movie", after.call(new ReadLinkRequest(link.inode()), ReadLinkReply.class).target());
        assertEquals(dev, attr(after, new GetAttrRequest(dev.inode())));
        assertEquals(listing, after.call(new ReadDirRequest(d.inode(), "", 10), ReadDirReply.class));
    }

    @Test
    void getLayoutAnswersTheExtentsOverlappingARange() {
        RpcClient c = client();
        FileAttr a = attr(c, new CreateFileRequest(ROOT, "a", 0644, 0, 0, true));
        FileAttr b = attr(c, new CreateFileRequest(ROOT, "b", 0644, 0, 0, true));
        OpenReply wa = c.call(new OpenRequest(a.inode(), true), OpenReply.class);
        OpenReply wb = c.call(new OpenRequest(b.inode(), true), OpenReply.class);
        c.call(new AllocateRequest(wa.handle(), 0, BLOCK), LayoutReply.class);
        c.call(new AllocateRequest(wb.handle(), 0, BLOCK), LayoutReply.class);
        List<Extent> all = c.call(new AllocateRequest(wa.handle(), BLOCK, BLOCK), LayoutReply.class).extents();
        assertEquals(2, all.size(), all.toString());
        OpenReply reader = c.call(new OpenRequest(a.inode(), false), OpenReply.class);
        assertEquals(all, c.call(new GetLayoutRequest(reader.handle(), 0, 2L * BLOCK), LayoutReply.class).extents());
        assertEquals(List.of(all.get(1)),
                c.call(new GetLayoutRequest(reader.handle(), BLOCK + 1, 1), LayoutReply.class).extents());
        assertEquals(List.of(), c.call(new GetLayoutRequest(wa.handle(), 5L * BLOCK, BLOCK), LayoutReply.class)
                .extents());
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new GetLayoutRequest(reader.handle(), -1, 1), LayoutReply.class));
        fails(ErrorCode.BAD_HANDLE, () -> c.call(new GetLayoutRequest(12345, 0, 1), LayoutReply.class));
        RpcClient other = client();
        fails(ErrorCode.BAD_HANDLE, () -> other.call(new GetLayoutRequest(reader.handle(), 0, 1), LayoutReply.class));
    }

    @Test
    void pinnedDirectoriesPlaceTheirFilesAndLocateShowsWhere() {
        RpcClient c = client();
        FileAttr videos = attr(c, new MakeDirRequest(ROOT, "videos", 0755, 0, 0));
        FileAttr sub = attr(c, new MakeDirRequest(videos.inode(), "sub", 0755, 0, 0));
        c.call(new SetPairRequest(videos.inode(), P2), OkReply.class);
        FileAttr f = attr(c, new CreateFileRequest(sub.inode(), "f", 0644, 0, 0, true));
        OpenReply open = c.call(new OpenRequest(f.inode(), true), OpenReply.class);
        assertEquals(P2, open.pair());
        List<Extent> extents = c.call(new AllocateRequest(open.handle(), 0, BLOCK), LayoutReply.class).extents();
        assertEquals(List.of(new Extent(0, BLOCK, P2, 0)), extents);
        assertEquals(new LocateReply("p2", extents), c.call(new LocateRequest(f.inode()), LocateReply.class));
        assertEquals(new LocateReply("p2", List.of()), c.call(new LocateRequest(videos.inode()), LocateReply.class));
        assertEquals(new LocateReply("", List.of()), c.call(new LocateRequest(sub.inode()), LocateReply.class));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> c.call(new SetPairRequest(f.inode(), P1), OkReply.class));
        CfsException unknown = fails(ErrorCode.INVALID_ARGUMENT,
                () -> c.call(new SetPairRequest(ROOT, new PairId("p7")), OkReply.class));
        assertEquals("pair p7 is not in the topology: expected one of [p1, p2]", unknown.getMessage());
        fails(ErrorCode.NOT_FOUND, () -> c.call(new LocateRequest(999), LocateReply.class));
    }

    @Test
    void snapshotsAreTakenEveryNRecordsWhileServingAndAtShutdown() throws Exception {
        server.close();
        server = start(options().withSnapshotEvery(10));
        RpcClient c = client();
        for (int i = 0; i < 25; i++) {
            attr(c, new MakeDirRequest(ROOT, "d" + i, 0755, 0, 0));
        }
        Path journal = dir.resolve("meta").resolve("journal");
        assertEquals(List.of("journal-20.log", "lock", "snapshot-20"), names(journal),
                "the writer snapshots between batches, before it takes the next one");
        StatFsReply stat = c.call(new StatFsRequest(), StatFsReply.class);
        server.close();
        assertEquals(List.of("journal-25.log", "lock", "snapshot-25"), names(journal));
        server = start();
        assertEquals(25, server.snapshotIndex());
        assertEquals(0, server.replayedRecords());
        assertEquals(stat, client().call(new StatFsRequest(), StatFsReply.class));
        assertEquals(27, attr(client(), new GetAttrRequest(ROOT)).nlink());
    }

    @Test
    void aDamagedSnapshotStopsTheStartWithAClearError() throws Exception {
        attr(client(), new MakeDirRequest(ROOT, "d", 0755, 0, 0));
        server.close();
        Path snapshot = dir.resolve("meta").resolve("journal").resolve("snapshot-1");
        byte[] bytes = Files.readAllBytes(snapshot);
        bytes[40] ^= 1;
        Files.write(snapshot, bytes);
        server = null;
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, this::start);
        assertTrue(e.getMessage().contains("snapshot " + snapshot + " is corrupt: checksum mismatch"), e.getMessage());
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
