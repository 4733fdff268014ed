package io.cfs.blockstore.mirror;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The persisted mark of a mirror volume that was created empty and whose master has not yet
 * confirmed it (an empty file, e.g. {@code <data>/stale/<volume>.fresh}). It is made before the
 * empty volume file and removed only once the master's answer to a fresh MIRROR_BITMAP request is
 * recorded, so a storage system that stops in between asks as fresh again at its next start
 * (which is harmless: the master only marks the written clusters again).
 */
public final class FreshMarker {
    private final Path file;

    public FreshMarker(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.exists(file);
    }

    /** Makes the mark (if missing) and its directory entry durable. */
    public void create() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (!Files.exists(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        forceDirectory(dir);
    }

    /** Removes the mark durably. */
    public void remove() throws IOException {
        if (Files.deleteIfExists(file)) {
            forceDirectory(file.toAbsolutePath().getParent());
        }
    }

    /** Forces a directory's entries to the disk where the platform allows it (Linux does). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Not every platform can open a directory; the entry still reaches the disk with the next sync.
        }
    }

    @Override
    public String toString() {
        return "fresh mark " + file;
    }
}
