package io.cfs.meta.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.TestTopologies;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.message.StorageStatus;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StorageSystemsTest {
    static final StorageId SS1 = new StorageId("ss1");
    static final StorageId SS2 = new StorageId("ss2");
    static final StorageId SS3 = new StorageId("ss3");
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("p2");

    final StorageSystems storages = new StorageSystems(TestTopologies.twoPairs(Path.of("/tmp")), 3_000, 1_000);

    static StorageHeartbeatRequest beat(StorageId storage, MirrorStatus... mirrors) {
        return new StorageHeartbeatRequest(storage, 10, 2, 4096, List.of(mirrors));
    }

    static CfsException fails(Runnable action) {
        CfsException e = assertThrows(CfsException.class, action::run);
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
        return e;
    }

    @Test
    void everyStorageSystemIsUpUntilItsFirstTimeoutPasses() {
        assertTrue(storages.isUp(SS1) && storages.isUp(SS2) && storages.isUp(SS3));
        assertEquals(List.of(), storages.check(4_000), "exactly the timeout is not past it");
        storages.heartbeat(beat(SS1), 3_500);
        List<StorageSystems.Transition> down = storages.check(4_001);
        assertEquals(List.of(new StorageSystems.Transition(SS2, false, 3_001),
                new StorageSystems.Transition(SS3, false, 3_001)), down);
        assertTrue(storages.isUp(SS1));
        assertFalse(storages.isUp(SS2));
        assertEquals(List.of(), storages.check(5_000), "a transition is reported once");
        assertEquals(Optional.of(new StorageSystems.Transition(SS2, true, 4_500)), storages.heartbeat(beat(SS2), 5_500));
        assertEquals(Optional.empty(), storages.heartbeat(beat(SS2), 5_600), "already up");
        assertTrue(storages.isUp(SS2));
        assertEquals(List.of(new StorageStatus(SS1, true, 2_100, 10, 2, 4096),
                new StorageStatus(SS2, true, 0, 10, 2, 4096),
                new StorageStatus(SS3, false, 4_600, 0, 0, 0)), storages.status(5_600));
    }

    @Test
    void theMastersStorageSystemReportsItsMirrors() {
        MirrorStatus p1m1 = new MirrorStatus(P1, 1, 12, 1 << 20, 5_000);
        MirrorStatus p1m2 = new MirrorStatus(P1, 2, 0, 0, 0);
        MirrorStatus p2m1 = new MirrorStatus(P2, 1, 3, 0, 700);
        storages.heartbeat(beat(SS1, p1m1, p1m2, p2m1), 1_100);
        assertEquals(Optional.of(p1m1), storages.mirror(P1, 1));
        assertEquals(Optional.of(p2m1), storages.mirror(P2, 1));
        storages.heartbeat(beat(SS1, p1m2), 1_200);
        assertEquals(Optional.empty(), storages.mirror(P1, 1), "each heartbeat replaces what the one before said");
        assertEquals(Optional.of(p1m2), storages.mirror(P1, 2));
    }

    @Test
    void heartbeatsAreCheckedAgainstTheTopology() {
        CfsException unknown = fails(() -> storages.heartbeat(beat(new StorageId("ss9")), 1_100));
        assertEquals("storage system ss9 is not in the topology: expected one of [ss1, ss2, ss3]",
                unknown.getMessage());
        CfsException elsewhere = fails(() -> storages.heartbeat(beat(SS2, new MirrorStatus(P1, 1, 0, 0, 0)), 1_100));
        assertTrue(elsewhere.getMessage().contains("its master ss1:v1 is on another storage system"),
                elsewhere.getMessage());
        fails(() -> storages.heartbeat(beat(SS1, new MirrorStatus(P2, 2, 0, 0, 0)), 1_100));
        fails(() -> storages.heartbeat(beat(SS1, new MirrorStatus(P1, 0, 0, 0, 0)), 1_100));
        fails(() -> storages.heartbeat(beat(SS1, new MirrorStatus(new PairId("p9"), 1, 0, 0, 0)), 1_100));
        fails(() -> storages.heartbeat(beat(SS1, new MirrorStatus(P1, 1, -1, 0, 0)), 1_100));
        fails(() -> storages.heartbeat(new StorageHeartbeatRequest(SS1, -1, 0, 0, List.of()), 1_100));
        assertEquals(new StorageStatus(SS1, true, 100, 0, 0, 0), storages.status(1_100).get(0),
                "a refused heartbeat records nothing");
    }
}
