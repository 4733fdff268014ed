package io.cfs.blockstore;

import io.cfs.protocol.LeakCheck;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of real storage systems share: a {@link TestCluster} of the test's topology
 * (ports {@code {meta}}, {@code {ss1}}, {@code {ss2}}) in a fresh folder for each test, closed after
 * it, the leak check, and random bytes from a seed of the test class's own. A subclass starts the
 * storage systems it needs.
 */
@ExtendWith(LeakCheck.Collecting.class)
abstract class ClusterTestCase {
    private final String topology;
    final Random random;
    @TempDir
    Path dir;
    TestCluster cluster;

    ClusterTestCase(String topology, long seed) {
        this.topology = topology;
        this.random = new Random(seed);
    }

    @BeforeEach
    void createCluster() throws Exception {
        cluster = new TestCluster(dir, topology, "meta", "ss1", "ss2");
    }

    @AfterEach
    void closeCluster() {
        cluster.close();
    }

    byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
