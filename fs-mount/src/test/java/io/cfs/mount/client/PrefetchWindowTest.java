package io.cfs.mount.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrefetchWindowTest {
    @Test
    void aReaderThatNeverWaitsKeepsOneChunkOnItsWay() {
        PrefetchWindow w = new PrefetchWindow(4, 64 << 20);
        assertTrue(w.allowsAnother(0, 0));
        assertFalse(w.allowsAnother(1, 0));
        assertEquals(1, w.size());
    }

    @Test
    void eachWaitGrowsTheWindowUpToItsMaximum() {
        PrefetchWindow w = new PrefetchWindow(4, 64 << 20);
        w.waited();
        assertTrue(w.allowsAnother(1, 1 << 20));
        assertFalse(w.allowsAnother(2, 2 << 20));
        for (int i = 0; i < 10; i++) {
            w.waited();
        }
        assertEquals(4, w.size());
        assertTrue(w.allowsAnother(3, 3 << 20));
        assertFalse(w.allowsAnother(4, 4 << 20));
    }

    @Test
    void pastTheHostsBudgetOnlyTheNextChunkIsFetched() {
        PrefetchWindow w = new PrefetchWindow(4, 8 << 20);
        w.waited();
        w.waited();
        assertTrue(w.allowsAnother(1, (8 << 20) - 1));
        assertFalse(w.allowsAnother(1, 8 << 20), "budget spent by all readers together");
        assertTrue(w.allowsAnother(0, 100L << 20), "but never less than the next chunk");
    }

    @Test
    void badBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PrefetchWindow(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new PrefetchWindow(1, -1));
    }
}
