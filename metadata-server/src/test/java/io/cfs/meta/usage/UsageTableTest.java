package io.cfs.meta.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.TestTopologies;
import io.cfs.topology.PairId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class UsageTableTest {
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("p2");

    static final IntPredicate ALL = m -> true;

    final UsageTable usage = new UsageTable(TestTopologies.twoPairs(Path.of("/tmp")).pairs().values());

    @Test
    void opensGoToTheLeastUsedMemberLowestFirst() {
        List<Integer> members = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            members.add(usage.acquire(P1, ALL));
        }
        assertEquals(List.of(0, 1, 2, 0, 1, 2, 0), members);
        assertEquals(List.of(3, 2, 2), counts(P1));
        usage.release(P1, 0);
        usage.release(P1, 0);
        assertEquals(0, usage.acquire(P1, ALL), "member 0 now has the fewest");
        assertEquals(List.of(0, 0), counts(P2), "pairs are counted apart");
        assertEquals(0, usage.acquire(P2, ALL));
        assertEquals(1, usage.acquire(P2, ALL));
    }

    @Test
    void manyOpensAndClosesStayBalancedAndNeverNegative() {
        Random random = new Random(42);
        List<Integer> open = new ArrayList<>();
        int[] model = new int[3];
        for (int step = 0; step < 20_000; step++) {
            if (open.isEmpty() || random.nextInt(100) < 55) {
                int min = Math.min(model[0], Math.min(model[1], model[2]));
                int member = usage.acquire(P1, ALL);
                assertEquals(min, model[member], "an open goes to a least-used member");
                for (int m = 0; m < member; m++) {
                    assertTrue(model[m] > min, "ties go to the lowest index");
                }
                model[member]++;
                open.add(member);
            } else {
                int member = open.remove(random.nextInt(open.size()));
                usage.release(P1, member);
                model[member]--;
            }
            assertEquals(List.of(model[0], model[1], model[2]), counts(P1));
        }
        while (!open.isEmpty()) {
            usage.release(P1, open.remove(open.size() - 1));
        }
        assertEquals(List.of(0, 0, 0), counts(P1));
        assertThrows(IllegalStateException.class, () -> usage.release(P1, 1));
        assertEquals(List.of(0, 0, 0), counts(P1));
    }

    @Test
    void onlyOpensOfAFileSpreadEvenly() {
        for (int i = 0; i < 300; i++) {
            usage.acquire(P1, ALL);
        }
        assertEquals(List.of(100, 100, 100), counts(P1));
    }

    @Test
    void unknownPairsAndMembersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> usage.acquire(new PairId("p9"), ALL));
        usage.acquire(P2, ALL);
        assertThrows(IllegalArgumentException.class, () -> usage.release(P2, 2));
        assertThrows(IllegalArgumentException.class, () -> usage.release(P2, -1));
        assertEquals(1, usage.count(P2, 0));
    }

    @Test
    void opensGoToLiveMembersOnlyAndToTheMasterWhenNoneIsLive() {
        IntPredicate notMaster = m -> m != 0;
        assertEquals(List.of(1, 2, 1, 2), List.of(usage.acquire(P1, notMaster), usage.acquire(P1, notMaster),
                usage.acquire(P1, notMaster), usage.acquire(P1, notMaster)));
        assertEquals(0, usage.acquire(P1, ALL), "the master has the fewest opens and is live again");
        assertEquals(0, usage.acquire(P2, m -> false), "with no member live the master gets it anyway");
        assertEquals(0, usage.acquire(P2, m -> false));
        assertEquals(List.of(2, 0), counts(P2));
    }

    @Test
    void opensMoveOffAMemberToTheLeastUsedLiveOne() {
        for (int i = 0; i < 6; i++) {
            usage.acquire(P1, ALL);
        }
        IntPredicate not1 = m -> m != 1;
        assertEquals(0, usage.moveOff(P1, 1, not1));
        assertEquals(2, usage.moveOff(P1, 1, not1));
        assertEquals(List.of(3, 0, 3), counts(P1));
        assertThrows(IllegalStateException.class, () -> usage.moveOff(P1, 1, not1), "member 1 has no open left");
        assertEquals(-1, usage.moveOff(P1, 0, m -> m == 0), "no other live member: nothing moves");
        assertEquals(List.of(3, 0, 3), counts(P1));
    }

    private List<Integer> counts(PairId pair) {
        int members = pair.equals(P1) ? 3 : 2;
        List<Integer> counts = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            counts.add(usage.count(pair, m));
        }
        return counts;
    }
}
