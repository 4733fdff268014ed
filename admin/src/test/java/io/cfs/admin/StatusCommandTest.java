package io.cfs.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.SessionStatus;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What {@code cfs status} prints for a given state of the cluster, and how --watch refreshes it. */
class StatusCommandTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    static StatusCommand.Status status() {
        return new StatusCommand.Status(
                List.of(new StatusCommand.Storage("ss1", "10.0.0.1:7401", true, 300, 2 * GIB, GIB / 2, 10, 2, 64 * MIB),
                        new StatusCommand.Storage("ss2", "10.0.0.2:7401", false, -1, GIB, GIB / 2, 0, 0, 0)),
                List.of(new StatusCommand.Pair("p1", "async", List.of(
                        new StatusCommand.Member(0, "master", "ss1:v1", true, GIB, GIB / 2, 3, 0, 0, 0, null),
                        new StatusCommand.Member(1, "mirror", "ss2:v1", false, GIB, GIB / 2, 1, 160, 10 * MIB, 0, null),
                        new StatusCommand.Member(2, "mirror", "ss1:v2", true, GIB, GIB / 2, 2, 320, 20 * MIB, 2 * MIB,
                                10L)))),
                List.of(new SessionStatus(0xabcL, "host-a", 4, 9000)));
    }

    @Test
    void tablesShowStoragesWithCapacityPairsWithResyncAndSessions() throws Exception {
        String text = StatusCommand.render(status(), StatusCommand.Json.NONE);
        assertTrue(Pattern.compile("(?m)^ss1\\s+up\\s+10\\.0\\.0\\.1:7401\\s+512 MiB / 2\\.0 GiB \\(25%\\)\\s+300 ms ago")
                .matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^ss2\\s+DOWN\\s+10\\.0\\.0\\.2:7401\\s+512 MiB / 1\\.0 GiB \\(50%\\)\\s+never")
                .matcher(text).find(), text);
        // the columns the integration tests and operators' scripts read: PAIR MODE MEMBER VOLUME STATE OPENS
        assertTrue(Pattern.compile("(?m)^p1\\s+async\\s+master\\s+ss1:v1\\s+up\\s+3\\s+512 MiB / 1\\.0 GiB\\s+-")
                .matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^p1\\s+async\\s+mirror 1\\s+ss2:v1\\s+DOWN\\s+1\\s.*160 \\(10 MiB\\)\\s+waiting$")
                .matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^p1\\s+async\\s+mirror 2\\s+ss1:v2\\s+up\\s+2\\s.*320 \\(20 MiB\\)\\s+2\\.0 MiB/s, 10 s left$")
                .matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^abc\\s+host-a\\s+4\\s+9 s$").matcher(text).find(), text);
    }

    @Test
    void jsonHasEveryFigure() throws Exception {
        String json = StatusCommand.render(status(), StatusCommand.Json.INDENTED);
        for (String field : List.of("\"capacityBytes\" : 2147483648", "\"usedBytes\" : 536870912", "\"opens\" : 3",
                "\"invalidClusters\" : 320", "\"syncBytesPerSecond\" : 2097152", "\"secondsLeft\" : 10",
                "\"client\" : \"host-a\"")) {
            assertTrue(json.contains(field), field + " in " + json);
        }
        String line = StatusCommand.render(status(), StatusCommand.Json.LINE);
        assertEquals(1, line.lines().count(), "one document per line for --watch --json into a pipe");
    }

    @Test
    void watchRedrawsInPlaceOnATerminalAndAppendsSnapshotsElsewhere() {
        String frame = StatusCommand.watchFrame("cfs status, 10:00:00", "a\nbb\n", true, false);
        assertEquals("\033[Hcfs status, 10:00:00\033[K\n\033[K\na\033[K\nbb\033[K\n\033[K\033[J", frame);
        assertTrue(!frame.contains("\033[2J"), "no full clear (it flickers)");
        assertEquals("\ncfs status, 10:00:00\na\nbb\n", StatusCommand.watchFrame("cfs status, 10:00:00", "a\nbb\n", false,
                false));
        assertEquals("{}\n", StatusCommand.watchFrame("cfs status, 10:00:00", "{}\n", false, true));
    }
}
