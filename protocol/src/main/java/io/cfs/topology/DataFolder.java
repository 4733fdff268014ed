package io.cfs.topology;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The check a daemon makes of its data folder before it starts. */
public final class DataFolder {
    private DataFolder() {}

    /**
     * Creates the folder if needed and proves it writable by creating and deleting a file in it
     * (asking for permissions is not enough: root passes every permission check, not a read-only mount).
     *
     * @param declaredAt the topology's {@code file:line} that names the folder
     * @throws IOException the folder cannot be created or written; the message names it, the line
     *                     and what was expected
     */
    public static void prepare(Path folder, String declaredAt) throws IOException {
        String expected = ": expected a folder the user " + System.getProperty("user.name")
                + " can create files in (fix its permissions or change data= on that line)";
        try {
            Files.createDirectories(folder);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("data folder " + folder + " (" + declaredAt + ") is not a folder" + expected, e);
        } catch (IOException e) {
            throw new IOException("data folder " + folder + " (" + declaredAt + ") cannot be created: " + e
                    + expected, e);
        }
        Path probe = folder.resolve(".cfs-write-probe");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new IOException("data folder " + folder + " (" + declaredAt + ") is not writable: " + e + expected, e);
        }
    }
}
