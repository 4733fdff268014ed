package io.cfs.meta;

import io.cfs.topology.Topology;
import io.cfs.topology.TopologyException;
import io.cfs.topology.TopologyParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Small topologies for tests: 1 MiB blocks, so a few MiB of volume is a few blocks. */
public final class TestTopologies {
    public static final int BLOCK = 1 << 20;
    /** The cluster secret of in-process tests. */
    public static final byte[] SECRET = "the secret of the metadata server tests".getBytes(StandardCharsets.US_ASCII);

    private TestTopologies() {}

    /**
     * Pair p1: master ss1:v1 (8 MiB) with mirrors ss2:v1 and ss3:v1 (3 members); pair p2: master
     * ss1:v2 (4 MiB) with mirror ss2:v2 (2 members).
     */
    public static Topology twoPairs(Path base) {
        return parse(base, List.of(
                "cluster block-size=1MiB cluster-size=64KiB",
                "metadata address=127.0.0.1:7400 data=meta",
                "storage ss1 address=127.0.0.1:7401 data=ss1",
                "storage ss2 address=127.0.0.1:7402 data=ss2",
                "storage ss3 address=127.0.0.1:7403 data=ss3",
                "volume ss1:v1 capacity=8MiB",
                "volume ss2:v1 capacity=8MiB",
                "volume ss3:v1 capacity=8MiB",
                "volume ss1:v2 capacity=4MiB",
                "volume ss2:v2 capacity=4MiB",
                "pair p1 mode=sync master=ss1:v1 mirrors=ss2:v1,ss3:v1",
                "pair p2 mode=async master=ss1:v2 mirrors=ss2:v2"));
    }

    /** The same as {@link #twoPairs} without pair p2 (and its volumes). */
    public static Topology onlyP1(Path base) {
        return parse(base, List.of(
                "cluster block-size=1MiB cluster-size=64KiB",
                "metadata address=127.0.0.1:7400 data=meta",
                "storage ss1 address=127.0.0.1:7401 data=ss1",
                "storage ss2 address=127.0.0.1:7402 data=ss2",
                "storage ss3 address=127.0.0.1:7403 data=ss3",
                "volume ss1:v1 capacity=8MiB",
                "volume ss2:v1 capacity=8MiB",
                "volume ss3:v1 capacity=8MiB",
                "pair p1 mode=sync master=ss1:v1 mirrors=ss2:v1,ss3:v1"));
    }

    public static Topology parse(Path base, List<String> lines) {
        try {
            return new TopologyParser("test.topology", base).parse(lines);
        } catch (TopologyException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
