package io.cfs.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks and clears a mount point before mounting. */
final class MountPoints {
    private static final Logger log = LoggerFactory.getLogger(MountPoints.class);

    private MountPoints() {}

    /** True when something is mounted at {@code path} (per /proc/self/mounts). */
    static boolean mounted(Path path) throws IOException {
        String target = path.toString().replace(" ", "\\040");
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].equals(target)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes {@code path} ready to mount: creates it if missing, clears a dead FUSE mount a crashed
     * client left there ("Transport endpoint is not connected"), refuses a live one. Prints why
     * and returns false when it cannot.
     */
    static boolean prepare(Path path) throws IOException, InterruptedException {
        if (mounted(path)) {
            try {
                Files.readAttributes(path, "unix:ino");
                System.err.println("cfs mount: " + path + " is already mounted; unmount it first (fusermount -u "
                        + path + ")");
                return false;
            } catch (IOException dead) {
                log.warn("clearing a dead mount at {} ({})", path, dead.getMessage());
                run("fusermount", "-u", "-z", path.toString());
                if (mounted(path)) {
                    run("umount", "-l", path.toString());
                }
                if (mounted(path)) {
                    System.err.println("cfs mount: cannot clear the dead mount at " + path
                            + "; run 'fusermount -u -z " + path + "' and try again");
                    return false;
                }
            }
        }
        if (!Files.isDirectory(path)) {
            Files.createDirectories(path);
        }
        return true;
    }

    private static void run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            log.warn("{} failed: {}", command[0], e.getMessage());
        }
    }
}
