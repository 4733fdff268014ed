package io.cfs.blockstore.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cfs.blockstore.mirror.CheckInvalid.Run;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckInvalidTest {
    @Test
    void splitsARangeByClusterStaleness() {
        // clusters of 100 bytes; 2 and 3 stale
        List<Run> runs = CheckInvalid.runs(150, 300, 100, c -> c == 2 || c == 3);
        assertEquals(List.of(new Run(150, 50, false), new Run(200, 200, true), new Run(400, 50, false)), runs);
        assertEquals(List.of(new Run(210, 20, true)), CheckInvalid.runs(210, 20, 100, c -> c == 2));
        assertEquals(List.of(new Run(0, 1000, false)), CheckInvalid.runs(0, 1000, 100, c -> false));
        assertEquals(List.of(), CheckInvalid.runs(0, 0, 100, c -> true));
    }

    @Test
    void stripesLockEachStripeOnceAndCountWrites() {
        ClusterStripes stripes = new ClusterStripes(8);
        try (ClusterStripes.Held held = stripes.lock(6, 12)) { // wraps around all 8 stripes
            held.countWrite();
            assertEquals(1, held.writes(6));
            assertEquals(1, held.writes(13));
        }
        try (ClusterStripes.Held held = stripes.lock(3, 1)) {
            held.countWrite();
            assertEquals(2, held.writes(3));
            assertEquals(2, held.writes(11), "clusters 3 and 11 share a stripe");
        }
    }
}
