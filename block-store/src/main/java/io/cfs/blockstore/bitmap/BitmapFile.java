package io.cfs.blockstore.bitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * A fixed number of bits persisted in a memory-mapped file: {@code "CFSBITS1" | i64 bits | words},
 * little-endian, so the words are laid out exactly as {@link BitSet#toByteArray()} lays out bytes.
 * Every change goes to the page cache at once and so survives a kill -9 of the process; {@link
 * #force()} makes it survive a power loss. Thread-safe; a running count keeps {@link
 * #cardinality()} O(1).
 */
public final class BitmapFile {
    private static final long MAGIC = 0x3153544953424643L; // "CFSBITS1" read little-endian
    private static final int HEADER = 16;

    private final Path file;
    private final long bits;
    private final boolean created;
    private final MappedByteBuffer map;
    private long count;

    private BitmapFile(Path file, long bits, boolean created, MappedByteBuffer map) {
        this.file = file;
        this.bits = bits;
        this.created = created;
        this.map = map;
        long c = 0;
        for (int w = 0; w < words(); w++) {
            c += Long.bitCount(word(w));
        }
        this.count = c;
    }

    /**
     * Opens the file, creating it if it does not exist with every bit set ({@code fillIfCreated})
     * or clear. Creation is atomic (a temporary file then a rename), so a crash never leaves a
     * half-made file that would later read as "nothing stale". An existing file with another bit
     * count or a bad header is refused.
     */
    public static BitmapFile open(Path file, long bits, boolean fillIfCreated) throws IOException {
        if (bits < 0 || wordsFor(bits) * 8L + HEADER > Integer.MAX_VALUE) {
            throw new IOException("bitmap " + file + " of " + bits + " bits: expected 0.."
                    + (Integer.MAX_VALUE - HEADER) * 8L);
        }
        boolean created = false;
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".new");
            try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(MAGIC).putLong(bits).flip();
                ch.write(header, 0);
                ByteBuffer words = ByteBuffer.allocate(wordsFor(bits) * 8).order(ByteOrder.LITTLE_ENDIAN);
                if (fillIfCreated) {
                    for (int w = 0; w < wordsFor(bits); w++) {
                        words.putLong(w * 8, lastWordMask(bits, w));
                    }
                }
                ch.write(words, HEADER);
                ch.force(true);
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
            created = true;
        }
        long expectedSize = HEADER + wordsFor(bits) * 8L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != expectedSize) {
                throw new IOException("bitmap file " + file + " is " + ch.size() + " bytes: expected " + expectedSize
                        + " for " + bits + " clusters (did the volume capacity or the cluster size change?)");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, expectedSize);
            map.order(ByteOrder.LITTLE_ENDIAN);
            if (map.getLong(0) != MAGIC || map.getLong(8) != bits) {
                throw new IOException("bitmap file " + file + " has a bad header (magic " + Long.toHexString(map.getLong(0))
                        + ", " + map.getLong(8) + " bits): expected a CFSBITS1 file of " + bits + " bits");
            }
            return new BitmapFile(file, bits, created, map);
        }
    }

    private static int wordsFor(long bits) {
        return (int) ((bits + 63) >>> 6);
    }

    /** The valid bits of word {@code w} (all ones but in the last, partial word). */
    private static long lastWordMask(long bits, int w) {
        long end = Math.min(64, bits - (long) w * 64);
        return end >= 64 ? -1L : (1L << end) - 1;
    }

    private int words() {
        return wordsFor(bits);
    }

    private long word(int w) {
        return map.getLong(HEADER + w * 8);
    }

    private void putWord(int w, long value) {
        map.putLong(HEADER + w * 8, value);
    }

    /** How many bits the map holds. */
    public long size() {
        return bits;
    }

    /** Whether {@link #open} created the file. */
    public boolean created() {
        return created;
    }

    private void check(long from, long n) {
        if (from < 0 || n < 0 || from > bits - n) {
            throw new IndexOutOfBoundsException("bits " + from + ".." + (from + n) + " of bitmap " + file
                    + ": expected within 0.." + bits);
        }
    }

    public synchronized boolean get(long i) {
        check(i, 1);
        return (word((int) (i >>> 6)) & (1L << i)) != 0;
    }

    /** Sets {@code n} bits from {@code from}. */
    public synchronized void set(long from, long n) {
        change(from, n, true);
    }

    /** Clears {@code n} bits from {@code from}. */
    public synchronized void clear(long from, long n) {
        change(from, n, false);
    }

    private void change(long from, long n, boolean value) {
        check(from, n);
        long end = from + n;
        long i = from;
        while (i < end) {
            int w = (int) (i >>> 6);
            int lo = (int) (i & 63);
            int hi = (int) Math.min(64, end - ((long) w << 6));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            long old = word(w);
            long now = value ? old | mask : old & ~mask;
            if (now != old) {
                putWord(w, now);
                count += Long.bitCount(now) - Long.bitCount(old);
            }
            i = ((long) w + 1) << 6;
        }
    }

    /** Sets every bit. */
    public synchronized void setAll() {
        change(0, bits, true);
    }

    /** Sets every bit that is set in {@code other} (bits beyond this map's size are ignored). */
    public synchronized void or(BitSet other) {
        for (int i = other.nextSetBit(0); i >= 0 && i < bits; i = other.nextSetBit(i + 1)) {
            int end = other.nextClearBit(i);
            change(i, Math.min(end, bits) - i, true);
            i = end;
        }
    }

    /** Clears every bit that is clear in {@code mask} (bits beyond the mask's length count as clear). */
    public synchronized void and(BitSet mask) {
        long[] m = mask.toLongArray();
        for (int w = 0; w < words(); w++) {
            long old = word(w);
            long now = old & (w < m.length ? m[w] : 0L);
            if (now != old) {
                putWord(w, now);
                count += Long.bitCount(now) - Long.bitCount(old);
            }
        }
    }

    /** The index of the first set bit at or after {@code from}, or -1. */
    public synchronized long nextSetBit(long from) {
        if (from < 0) {
            from = 0;
        }
        if (from >= bits) {
            return -1;
        }
        int w = (int) (from >>> 6);
        long word = word(w) & (-1L << from);
        while (true) {
            if (word != 0) {
                return ((long) w << 6) + Long.numberOfTrailingZeros(word);
            }
            if (++w >= words()) {
                return -1;
            }
            word = word(w);
        }
    }

    /** The number of set bits. */
    public synchronized long cardinality() {
        return count;
    }

    /** The number of set bits among the {@code n} bits from {@code from}. */
    public synchronized long count(long from, long n) {
        check(from, n);
        long end = from + n;
        long total = 0;
        for (long i = from; i < end; ) {
            int w = (int) (i >>> 6);
            int lo = (int) (i & 63);
            int hi = (int) Math.min(64, end - ((long) w << 6));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            total += Long.bitCount(word(w) & mask);
            i = ((long) w + 1) << 6;
        }
        return total;
    }

    /** The bits {@code from..from+n} as a BitSet indexed from 0. */
    public synchronized BitSet range(long from, int n) {
        check(from, n);
        BitSet out = new BitSet(n);
        for (long i = nextSetBit(from); i >= 0 && i < from + n; i = nextSetBit(i + 1)) {
            out.set((int) (i - from));
        }
        return out;
    }

    /** A snapshot of every bit. */
    public synchronized BitSet toBitSet() {
        long[] words = new long[words()];
        for (int w = 0; w < words.length; w++) {
            words[w] = word(w);
        }
        return BitSet.valueOf(words);
    }

    /** The bits as {@link BitSet#toByteArray()} would give them. */
    public byte[] toByteArray() {
        return toBitSet().toByteArray();
    }

    /** Forces the bits to the disk. */
    public synchronized void force() {
        map.force();
    }

    @Override
    public String toString() {
        return "bitmap " + file;
    }
}
