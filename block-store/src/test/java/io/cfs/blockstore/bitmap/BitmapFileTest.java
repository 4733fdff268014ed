package io.cfs.blockstore.bitmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.topology.PairId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BitmapFileTest {
    @TempDir
    Path dir;

    @Test
    void setClearCountAndNextSetBit() throws IOException {
        BitmapFile bits = BitmapFile.open(dir.resolve("a.bits"), 1000, false);
        assertTrue(bits.created());
        assertEquals(0, bits.cardinality());
        assertEquals(-1, bits.nextSetBit(0));
        bits.set(60, 10); // crosses a word boundary
        bits.set(999, 1);
        bits.set(62, 2); // already set: counted once
        assertEquals(11, bits.cardinality());
        assertEquals(60, bits.nextSetBit(0));
        assertEquals(69, bits.nextSetBit(69));
        assertEquals(999, bits.nextSetBit(70));
        assertEquals(-1, bits.nextSetBit(1000));
        bits.clear(61, 8);
        assertEquals(3, bits.cardinality());
        assertTrue(bits.get(60) && !bits.get(61) && bits.get(69));
        assertEquals(69, bits.nextSetBit(61));
        BitSet range = bits.range(59, 12);
        assertEquals(BitSet.valueOf(new long[] {(1L << 1) | (1L << 10)}), range);
        assertThrows(IndexOutOfBoundsException.class, () -> bits.set(995, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> bits.get(1000));
    }

    @Test
    void matchesABitSetUnderRandomChanges() throws IOException {
        BitmapFile bits = BitmapFile.open(dir.resolve("r.bits"), 4099, false);
        BitSet model = new BitSet();
        Random random = new Random(3);
        for (int i = 0; i < 2000; i++) {
            int from = random.nextInt(4099);
            int n = random.nextInt(Math.min(300, 4099 - from) + 1);
            if (random.nextBoolean()) {
                bits.set(from, n);
                model.set(from, from + n);
            } else {
                bits.clear(from, n);
                model.clear(from, from + n);
            }
            assertEquals(model.cardinality(), bits.cardinality());
        }
        assertEquals(model, bits.toBitSet());
        assertArrayEquals(model.toByteArray(), bits.toByteArray(), "the MIRROR_BITMAP layout is BitSet's");
        for (int i = 0; i < 4099; i += 7) {
            assertEquals(model.nextSetBit(i), (int) bits.nextSetBit(i));
        }
    }

    @Test
    void persistsAndReopens() throws IOException {
        Path file = dir.resolve("p.bits");
        BitmapFile bits = BitmapFile.open(file, 200, false);
        bits.set(5, 3);
        bits.set(130, 1);
        bits.force();
        BitmapFile again = BitmapFile.open(file, 200, true);
        assertFalse(again.created());
        assertEquals(4, again.cardinality(), "an existing file is not refilled");
        assertTrue(again.get(5) && again.get(7) && again.get(130) && !again.get(8));
    }

    @Test
    void aNewFileCanStartFull() throws IOException {
        BitmapFile bits = BitmapFile.open(dir.resolve("f.bits"), 130, true);
        assertEquals(130, bits.cardinality());
        assertEquals(129, bits.nextSetBit(129));
        bits.clear(0, 130);
        assertEquals(-1, bits.nextSetBit(0));
        bits.setAll();
        assertEquals(130, bits.cardinality(), "bits past the size stay clear");
    }

    @Test
    void orAddsOnlyBitsWithinTheSize() throws IOException {
        BitmapFile bits = BitmapFile.open(dir.resolve("o.bits"), 100, false);
        bits.set(1, 1);
        BitSet other = new BitSet();
        other.set(1, 4);
        other.set(50);
        other.set(150);
        bits.or(other);
        assertEquals(4, bits.cardinality());
        assertTrue(bits.get(50));
    }

    @Test
    void andKeepsOnlyBitsOfTheMask() throws IOException {
        BitmapFile bits = BitmapFile.open(dir.resolve("and.bits"), 200, true);
        BitSet mask = new BitSet();
        mask.set(3);
        mask.set(60, 70); // crosses a word boundary
        mask.set(199);
        bits.and(mask);
        assertEquals(mask, bits.toBitSet());
        assertEquals(12, bits.cardinality());
        bits.and(new BitSet());
        assertEquals(0, bits.cardinality());
        assertEquals(-1, bits.nextSetBit(0));
    }

    @Test
    void theWrittenBitmapLivesBesideTheRows() throws IOException {
        BitmapTable table = new BitmapTable(dir.resolve("bitmaps"));
        PairId p = new PairId("p1");
        BitmapFile written = table.openWritten(p, 64, true);
        assertTrue(Files.exists(dir.resolve("bitmaps/p1-written.bits")));
        assertEquals(table.writtenFile(p), dir.resolve("bitmaps/p1-written.bits"));
        assertEquals(64, written.cardinality(), "a master that held data before: every cluster counts as written");
        assertThrows(IllegalStateException.class, () -> table.openWritten(p, 64, false));
        BitmapFile m1 = table.open(p, 1, 64, false);
        assertEquals(0, m1.cardinality(), "a row is another file");
    }

    @Test
    void refusesAFileOfAnotherSizeOrFormat() throws IOException {
        Path file = dir.resolve("s.bits");
        BitmapFile.open(file, 100, false);
        IOException e = assertThrows(IOException.class, () -> BitmapFile.open(file, 1000, false));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("1000 clusters"), e.getMessage());
        Path junk = dir.resolve("j.bits");
        Files.write(junk, new byte[24]);
        e = assertThrows(IOException.class, () -> BitmapFile.open(junk, 64, false));
        assertTrue(e.getMessage().contains("bad header"), e.getMessage());
    }

    @Test
    void theTableKeepsOneRowPerMirror() throws IOException {
        BitmapTable table = new BitmapTable(dir.resolve("bitmaps"));
        PairId p = new PairId("p1");
        assertFalse(table.exists(p, 1));
        BitmapFile m1 = table.open(p, 1, 64, false);
        BitmapFile m2 = table.open(p, 2, 64, true);
        assertTrue(Files.exists(dir.resolve("bitmaps/p1-m1.bits")));
        assertTrue(table.exists(p, 2));
        assertEquals(64, m2.cardinality());
        m1.set(3, 1);
        table.force();
        assertThrows(IllegalStateException.class, () -> table.open(p, 1, 64, false));
        assertThrows(IllegalArgumentException.class, () -> table.open(p, 0, 64, false));
        BitmapTable reopened = new BitmapTable(dir.resolve("bitmaps"));
        assertEquals(1, reopened.open(p, 1, 64, true).cardinality());
    }

    @Test
    void countsTheSetBitsOfARange() throws Exception {
        BitmapFile f = BitmapFile.open(dir.resolve("count.bits"), 300, false);
        f.set(3, 2);
        f.set(60, 10); // across a word boundary
        f.set(299, 1);
        assertEquals(13, f.count(0, 300));
        assertEquals(0, f.count(0, 3));
        assertEquals(1, f.count(4, 1));
        assertEquals(4, f.count(64, 4));
        assertEquals(7, f.count(63, 100));
        assertEquals(1, f.count(299, 1));
        assertEquals(0, f.count(100, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> f.count(299, 2));
    }
}
