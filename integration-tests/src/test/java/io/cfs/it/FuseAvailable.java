package io.cfs.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Integration tests need a kernel FUSE device; without one they are skipped, saying so. */
final class FuseAvailable {
    private FuseAvailable() {}

    static void assume() {
        boolean present = Files.exists(Path.of("/dev/fuse"));
        if (!present) {
            System.err.println("SKIPPED: /dev/fuse is absent on this machine, so CFS cannot be mounted; "
                    + "the integration tests need it (load the fuse module or run where it exists)");
        }
        assumeTrue(present, "/dev/fuse is absent: CFS cannot be mounted here");
    }
}
