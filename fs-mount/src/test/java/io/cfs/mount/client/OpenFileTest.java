package io.cfs.mount.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.Extent;
import io.cfs.topology.PairId;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenFileTest {
    private static final PairId P = new PairId("p1");
    private static final long MIB = 1 << 20;

    private static OpenFile fileWith(Extent... extents) {
        OpenFile f = new OpenFile(7);
        f.layout(List.of(extents));
        return f;
    }

    @Test
    void findsTheExtentHoldingAnOffsetWhateverTheOrderGiven() {
        Extent a = new Extent(0, 2 * MIB, P, 10 * MIB);
        Extent b = new Extent(4 * MIB, MIB, P, 40 * MIB);
        Extent c = new Extent(2 * MIB, MIB, P, 20 * MIB);
        OpenFile f = fileWith(b, c, a);
        assertSame(a, f.extentAt(0));
        assertSame(a, f.extentAt(2 * MIB - 1));
        assertSame(c, f.extentAt(2 * MIB));
        assertNull(f.extentAt(3 * MIB), "hole between c and b");
        assertSame(b, f.extentAt(5 * MIB - 1));
        assertNull(f.extentAt(5 * MIB), "past the last extent");
    }

    @Test
    void nextExtentStartSkipsHoles() {
        OpenFile f = fileWith(new Extent(0, MIB, P, 0), new Extent(4 * MIB, MIB, P, MIB));
        assertEquals(4 * MIB, f.nextExtentStart(MIB));
        assertEquals(Long.MAX_VALUE, f.nextExtentStart(4 * MIB));
    }

    @Test
    void backedOnlyWhenEveryByteHasABlock() {
        OpenFile f = fileWith(new Extent(0, MIB, P, 0), new Extent(MIB, MIB, P, 7 * MIB), new Extent(3 * MIB, MIB, P, 9 * MIB));
        assertTrue(f.backed(0, 2 * MIB), "two adjacent extents");
        assertTrue(f.backed(MIB - 10, 20), "across an extent boundary");
        assertFalse(f.backed(2 * MIB - 1, 2), "runs into the hole at 2 MiB");
        assertFalse(f.backed(4 * MIB, 1), "past the end");
    }

    @Test
    void parentAndNameOfPaths() {
        assertEquals("/", CfsClient.parent("/a"));
        assertEquals("/a/b", CfsClient.parent("/a/b/c"));
        assertEquals("c", CfsClient.name("/a/b/c"));
    }
}
