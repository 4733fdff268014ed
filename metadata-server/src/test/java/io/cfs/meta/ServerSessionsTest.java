package io.cfs.meta;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.GetLayoutRequest;
import io.cfs.protocol.message.KeepAliveRequest;
import io.cfs.protocol.message.LayoutReply;
import io.cfs.protocol.message.MemberStatus;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.OpenSessionRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.SessionReply;
import io.cfs.protocol.message.SessionStatus;
import io.cfs.protocol.message.StatFsReply;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.StatusReply;
import io.cfs.protocol.message.StatusRequest;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.message.StorageStatus;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.topology.StorageId;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client sessions with leases, storage heartbeats, the Usage Table's reassignment, and STATUS, over the wire. */
class ServerSessionsTest extends ServerTestBase {
    static final StorageId SS1 = new StorageId("ss1");
    static final StorageId SS2 = new StorageId("ss2");
    static final StorageId SS3 = new StorageId("ss3");
    static final Duration LEASE = MetadataOptions.DEFAULT_LEASE;

    FileAttr create(RpcClient c, String name) {
        return attr(c, new CreateFileRequest(ROOT, name, 0644, 0, 0, true));
    }

    StatusReply status() {
        return client().call(new StatusRequest(), StatusReply.class);
    }

    List<Integer> opens(StatusReply status, String pair) {
        return status.members().stream().filter(m -> m.pair().value().equals(pair)).map(MemberStatus::opens).toList();
    }

    static void beat(RpcClient c, StorageId storage, MirrorStatus... mirrors) {
        c.call(new StorageHeartbeatRequest(storage, 0, 0, 0, List.of(mirrors)), OkReply.class);
    }

    @Test
    void metersFollowTheUsageTableSessionsStorageAndJournal() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        server.close();
        server = start(options().withMetrics(registry));
        RpcClient a = client();
        FileAttr f = create(a, "f");
        a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        a.call(new OpenRequest(f.inode(), false), OpenReply.class);

        assertEquals(1, gauge(registry.get("cfs.usage.opens").tags("pair", "p1", "member", "0", "volume", "ss1:v1")));
        assertEquals(0, gauge(registry.get("cfs.usage.opens").tags("pair", "p1", "member", "1")));
        assertEquals(1, gauge(registry.get("cfs.sessions")));
        assertEquals(1, gauge(registry.get("cfs.open.handles")));
        assertEquals(2, gauge(registry.get("cfs.inodes")), "the root and f");
        assertTrue(registry.get("cfs.journal.records").functionCounter().count() >= 1, "the create was journaled");
        assertTrue(registry.get("cfs.journal.commit").timer().count() >= 1, "and its fsync timed");
        assertEquals(1, registry.get("cfs.rpc.server.requests").tags("op", "OPEN", "result", "ok").timer().count());

        assertEquals(1, gauge(registry.get("cfs.storage.up").tag("storage", "ss2")), "up until it times out");
        clock.advance(Duration.ofMillis(MetadataOptions.DEFAULT_STORAGE_TIMEOUT.toMillis() + 1));
        beat(a, SS1);
        server.check();
        assertEquals(0, gauge(registry.get("cfs.storage.up").tag("storage", "ss2")), "ss2 sent no heartbeat");
        assertEquals(1, gauge(registry.get("cfs.storage.up").tag("storage", "ss1")));
    }

    private static double gauge(RequiredSearch search) {
        return search.gauge().value();
    }

    @Test
    void aSessionsHandlesOutliveItsConnectionAndResumeOnAnother() throws Exception {
        RpcClient a = client();
        FileAttr f = create(a, "f");
        SessionReply session = a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        assertEquals(10_000, session.leaseMillis());
        assertTrue(session.session() > 0);
        OpenReply w = a.call(new OpenRequest(f.inode(), true), OpenReply.class);
        a.close();
        assertEquals(List.of(new SessionStatus(session.session(), "host-a", 1, 10_000)), status().sessions());
        clock.advance(LEASE.minusMillis(1));
        server.check();
        assertEquals(List.of(1, 0, 0), opens(status(), "p1"), "the count stays while the lease runs");

        RpcClient b = client();
        SessionReply resumed = b.call(new OpenSessionRequest("host-a", session.session()), SessionReply.class);
        assertEquals(session, resumed);
        assertEquals(List.of(new SessionStatus(session.session(), "host-a", 1, 10_000)), status().sessions(),
                "a resume renews the lease");
        b.call(new AllocateRequest(w.handle(), 0, BLOCK), LayoutReply.class);
        b.call(new CloseRequest(w.handle()), OkReply.class);
        assertEquals(List.of(0, 0, 0), opens(status(), "p1"));
        fails(ErrorCode.BAD_HANDLE, () -> b.call(new CloseRequest(w.handle()), OkReply.class));
    }

    @Test
    void anExpiredLeaseClosesItsHandlesReleasesTheirCountsAndFreesOrphans() throws Exception {
        RpcClient a = client();
        FileAttr f = create(a, "f");
        SessionReply session = a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        OpenReply w = a.call(new OpenRequest(f.inode(), true), OpenReply.class);
        a.call(new OpenRequest(f.inode(), false), OpenReply.class);
        a.call(new AllocateRequest(w.handle(), 0, 2L * BLOCK), LayoutReply.class);
        RpcClient admin = client();
        admin.call(new RemoveRequest(ROOT, "f", false), OkReply.class);
        assertEquals(10L * BLOCK, admin.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        a.close();
        clock.advance(LEASE.minusMillis(1));
        server.check();
        assertEquals(10L * BLOCK, admin.call(new StatFsRequest(), StatFsReply.class).freeBytes());
        clock.advance(Duration.ofMillis(1));
        server.check();
        assertEquals(List.of(), status().sessions());
        assertEquals(List.of(0, 0, 0), opens(status(), "p1"));
        eventually("the expiry frees the unlinked file",
                () -> admin.call(new StatFsRequest(), StatFsReply.class).freeBytes() == 12L * BLOCK);

        RpcClient b = client();
        CfsException gone = fails(ErrorCode.SESSION_EXPIRED,
                () -> b.call(new KeepAliveRequest(session.session()), OkReply.class));
        assertTrue(gone.getMessage().contains("no session " + session.session()), gone.getMessage());
        SessionReply fresh = b.call(new OpenSessionRequest("host-a", session.session()), SessionReply.class);
        assertNotEquals(session.session(), fresh.session(), "a new session: the client must reopen its files");
        fails(ErrorCode.BAD_HANDLE, () -> b.call(new CloseRequest(w.handle()), OkReply.class));
    }

    @Test
    void aConnectedSessionThatStopsKeepingAliveExpires() {
        RpcClient a = client();
        FileAttr f = create(a, "f");
        SessionReply session = a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        OpenReply r = a.call(new OpenRequest(f.inode(), false), OpenReply.class);
        clock.advance(Duration.ofSeconds(6));
        a.call(new KeepAliveRequest(session.session()), OkReply.class);
        clock.advance(Duration.ofSeconds(6));
        server.check();
        a.call(new GetLayoutRequest(r.handle(), 0, 1), LayoutReply.class);
        assertEquals(4_000, status().sessions().get(0).leaseLeftMillis());
        clock.advance(Duration.ofSeconds(4));
        server.check();
        fails(ErrorCode.SESSION_EXPIRED, () -> a.call(new GetLayoutRequest(r.handle(), 0, 1), LayoutReply.class));
        fails(ErrorCode.SESSION_EXPIRED, () -> a.call(new OpenRequest(f.inode(), false), OpenReply.class));
        fails(ErrorCode.SESSION_EXPIRED, () -> a.call(new CloseRequest(r.handle()), OkReply.class));
        fails(ErrorCode.SESSION_EXPIRED, () -> a.call(new KeepAliveRequest(session.session()), OkReply.class));
        SessionReply fresh = a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        assertNotEquals(session.session(), fresh.session());
        assertEquals(0, a.call(new OpenRequest(f.inode(), false), OpenReply.class).member());
    }

    @Test
    void aKeepAliveOnANewConnectionResumesTheSession() {
        RpcClient a = client();
        FileAttr f = create(a, "f");
        SessionReply session = a.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        OpenReply r = a.call(new OpenRequest(f.inode(), false), OpenReply.class);
        a.close();
        RpcClient b = client();
        b.call(new KeepAliveRequest(session.session()), OkReply.class);
        b.call(new CloseRequest(r.handle()), OkReply.class);
    }

    @Test
    void handlesOpenedBeforeTheSessionJoinIt() {
        RpcClient a = client();
        FileAttr f = create(a, "f");
        OpenReply r = a.call(new OpenRequest(f.inode(), false), OpenReply.class);
        SessionReply session = a.call(new OpenSessionRequest("late", 0), SessionReply.class);
        a.close();
        RpcClient b = client();
        b.call(new OpenSessionRequest("late", session.session()), SessionReply.class);
        b.call(new CloseRequest(r.handle()), OkReply.class);
    }

    @Test
    void afterARestartAResumeGetsANewSession() throws Exception {
        SessionReply before = client().call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        server.close();
        server = start();
        RpcClient c = client();
        fails(ErrorCode.SESSION_EXPIRED, () -> c.call(new KeepAliveRequest(before.session()), OkReply.class));
        SessionReply after = c.call(new OpenSessionRequest("host-a", before.session()), SessionReply.class);
        assertNotEquals(before.session(), after.session(), "the id differs: the client knows to reopen its files");
    }

    @Test
    void leasesAreCheckedPeriodically() throws Exception {
        server.close();
        server = start(options().withCheckEvery(Duration.ofMillis(10)).withLease(Duration.ofSeconds(2)));
        RpcClient c = client();
        SessionReply s = c.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        assertEquals(2_000, s.leaseMillis());
        assertEquals(1, status().sessions().size());
        clock.advance(Duration.ofSeconds(2));
        eventually("the periodic check expires the lease", () -> status().sessions().isEmpty());
    }

    @Test
    void opensAvoidStorageSystemsThatAreDownAndTheirOpensMoveToLiveMembers() {
        RpcClient c = client();
        StatusReply initial = status();
        assertTrue(initial.storages().stream().allMatch(StorageStatus::up), "up until the first timeout passes");
        FileAttr f = create(c, "f");
        List<OpenReply> handles = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            handles.add(c.call(new OpenRequest(f.inode(), false), OpenReply.class));
        }
        assertEquals(List.of(0, 1, 2), handles.stream().map(OpenReply::member).toList());

        clock.advance(Duration.ofSeconds(2));
        beat(c, SS1);
        beat(c, SS3);
        clock.advance(Duration.ofMillis(1_500));
        server.check();
        StatusReply down = status();
        assertEquals(List.of(new StorageStatus(SS1, true, 1_500, 0, 0, 0), new StorageStatus(SS2, false, 3_500, 0, 0, 0),
                new StorageStatus(SS3, true, 1_500, 0, 0, 0)), down.storages());
        assertEquals(List.of(2, 0, 1), opens(down, "p1"), "ss2's open moved to the least-used live member");
        assertEquals(2, c.call(new OpenRequest(f.inode(), false), OpenReply.class).member());
        c.call(new CloseRequest(handles.get(1).handle()), OkReply.class);
        assertEquals(List.of(1, 0, 2), opens(status(), "p1"), "its close releases the member it moved to");

        beat(c, SS2);
        assertTrue(status().storages().get(1).up());
        assertEquals(1, c.call(new OpenRequest(f.inode(), false), OpenReply.class).member());

        clock.advance(Duration.ofSeconds(10));
        server.check();
        assertTrue(status().storages().stream().noneMatch(StorageStatus::up));
        assertEquals(0, c.call(new OpenRequest(f.inode(), false), OpenReply.class).member(),
                "no member live: the master anyway");
    }

    @Test
    void statusShowsStorageSystemsMembersAndSessions() {
        RpcClient c = client();
        fails(ErrorCode.INVALID_ARGUMENT, () -> beat(c, new StorageId("ss9")));
        c.call(new StorageHeartbeatRequest(SS1, 100, 20, 1 << 20, List.of(new MirrorStatus(P1, 1, 12, 4096, 5_000),
                new MirrorStatus(P2, 1, 3, 0, 700))), OkReply.class);
        fails(ErrorCode.INVALID_ARGUMENT, () -> beat(c, SS2, new MirrorStatus(P2, 1, 0, 0, 0)));
        SessionReply session = c.call(new OpenSessionRequest("host-a", 0), SessionReply.class);
        FileAttr f = create(c, "f");
        OpenReply w = c.call(new OpenRequest(f.inode(), true), OpenReply.class);
        c.call(new AllocateRequest(w.handle(), 0, 3L * BLOCK), LayoutReply.class);
        clock.advance(Duration.ofMillis(250));
        StatusReply s = status();
        assertEquals(new StorageStatus(SS1, true, 250, 100, 20, 1 << 20), s.storages().get(0));
        assertEquals(List.of(
                new MemberStatus(P1, 0, 1, 0, 0, 3L * BLOCK),
                new MemberStatus(P1, 1, 0, 12, 5_000, 0),
                new MemberStatus(P1, 2, 0, 0, 0, 0),
                new MemberStatus(P2, 0, 0, 0, 0, 0),
                new MemberStatus(P2, 1, 0, 3, 700, 0)), s.members());
        assertEquals(List.of(new SessionStatus(session.session(), "host-a", 1, 9_750)), s.sessions());
        fails(ErrorCode.INVALID_ARGUMENT, () -> c.call(new OpenSessionRequest("", 0), SessionReply.class));
    }
}
