package io.cfs.blockstore.bitmap;

import io.cfs.topology.PairId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Bitmap Table (Fig 31) of one storage system: for each pair whose master is here, for each
 * mirror, one bit per cluster of the master, set while that mirror lacks the master's bytes of the
 * cluster. Each row is a {@link BitmapFile} {@code <dir>/<pair>-m<member>.bits}. The rows are
 * fixed at startup (one per mirror of the topology), so the table is bounded by the topology.
 *
 * <p>Beside the rows, each pair has a written bitmap {@code <dir>/<pair>-written.bits}: one bit
 * per cluster of the master, set (before the ack, like a row's bits) by every write that touches
 * the cluster and never cleared. The clusters it leaves clear hold only zeros on the master, so a
 * mirror created empty needs exactly the set ones.
 */
public final class BitmapTable {
    private final Path dir;
    private final Map<String, BitmapFile> rows = new TreeMap<>();

    public BitmapTable(Path dir) {
        this.dir = dir;
    }

    /** The file of one row. */
    public Path file(PairId pair, int member) {
        return dir.resolve(pair.value() + "-m" + member + ".bits");
    }

    /** The file of a pair's written bitmap. */
    public Path writtenFile(PairId pair) {
        return dir.resolve(pair.value() + "-written.bits");
    }

    /** Whether the row's file exists (before {@link #open}). */
    public boolean exists(PairId pair, int member) {
        return Files.exists(file(pair, member));
    }

    /**
     * Opens (or creates) the row of mirror {@code member} of {@code pair} with one bit per cluster.
     * A new row starts with every bit set when {@code fillIfCreated} (the mirror needs a full copy).
     */
    public synchronized BitmapFile open(PairId pair, int member, long clusters, boolean fillIfCreated)
            throws IOException {
        if (member < 1) {
            throw new IllegalArgumentException("pair " + pair + " member " + member + ": expected a mirror (1..)");
        }
        String key = key(pair, member);
        if (rows.containsKey(key)) {
            throw new IllegalStateException("row " + key + " of the Bitmap Table is already open");
        }
        BitmapFile row = BitmapFile.open(file(pair, member), clusters, fillIfCreated);
        rows.put(key, row);
        return row;
    }

    /**
     * Opens (or creates) the written bitmap of {@code pair}, one bit per cluster of its master. A
     * new one starts with every bit set when {@code fillIfCreated} (a master volume that already
     * held data before written bitmaps were kept: any cluster may hold data).
     */
    public synchronized BitmapFile openWritten(PairId pair, long clusters, boolean fillIfCreated) throws IOException {
        String key = pair.value() + "-written";
        if (rows.containsKey(key)) {
            throw new IllegalStateException("the written bitmap of pair " + pair + " is already open");
        }
        BitmapFile written = BitmapFile.open(writtenFile(pair), clusters, fillIfCreated);
        rows.put(key, written);
        return written;
    }

    /** Forces every row and written bitmap to the disk. */
    public synchronized void force() {
        rows.values().forEach(BitmapFile::force);
    }

    private static String key(PairId pair, int member) {
        return pair.value() + "-m" + member;
    }
}
