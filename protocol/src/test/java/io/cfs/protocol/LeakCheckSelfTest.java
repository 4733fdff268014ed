package io.cfs.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Shows that {@link LeakCheck} does see a leaked buffer (so that the other tests' checks can fail). */
class LeakCheckSelfTest {
    @Test
    void aLeakedBufferIsReported() {
        assertTrue(LeakCheck.leaks(true).isEmpty(), "leaks reported before this test");
        // Keep the deliberate leak out of the build log (Netty logs leaks through java.util.logging).
        Logger log = Logger.getLogger(ResourceLeakDetector.class.getName());
        Filter previous = log.getFilter();
        log.setFilter(r -> false);
        List<String> leaks = List.of();
        try {
            leakOne();
            for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
                leaks = LeakCheck.leaks(true);
            }
        } finally {
            log.setFilter(previous);
        }
        assertEquals(1, leaks.size(), "the deliberately leaked buffer was not reported: " + leaks);
        assertTrue(leaks.get(0).contains("leakOne"), "the report should say where the buffer was touched");
    }

    private static void leakOne() {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(16);
        b.writeLong(42); // dropped without release()
    }
}
