package io.cfs.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MIB = 1 << 20;

    private final AtomicLong clock = new AtomicLong(1_000 * SECOND);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private Progress progress(boolean terminal) {
        return new Progress("resync", Units::bytes, out, terminal, clock::get, 10 * SECOND);
    }

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalTheBarIsRedrawnInPlaceWithRateAndTimeLeft() {
        Progress p = progress(true);
        p.update(0, 100 * MIB);
        clock.addAndGet(2 * SECOND);
        p.update(50 * MIB, 100 * MIB);
        String text = output();
        assertFalse(text.contains("\n"), "one line, redrawn: " + text);
        String[] frames = text.split("\r");
        String last = frames[frames.length - 1];
        assertEquals("resync [############------------]  50%  50 MiB / 100 MiB  25 MiB/s  2 s left\033[K", last);
        clock.addAndGet(2 * SECOND);
        p.update(100 * MIB, 100 * MIB);
        p.finish();
        assertTrue(output().endsWith("resync [########################] 100%  100 MiB / 100 MiB  25 MiB/s  done in 4 s"
                + "\033[K\n"), output());
    }

    @Test
    void onATerminalRedrawsAreLimitedToTenASecond() {
        Progress p = progress(true);
        for (int i = 0; i < 1000; i++) {
            p.update(i, 10_000);
        }
        assertEquals(1, output().split("\r", -1).length - 1, "one frame within the same instant: " + output());
        clock.addAndGet(SECOND / 10);
        p.update(1000, 10_000);
        assertEquals(2, output().split("\r", -1).length - 1);
    }

    @Test
    void withoutATerminalPlainLinesEveryIntervalAndNoControlCharacters() {
        Progress p = progress(false);
        p.update(0, 100 * MIB);
        clock.addAndGet(5 * SECOND);
        p.update(10 * MIB, 100 * MIB); // within the interval: no line
        clock.addAndGet(5 * SECOND);
        p.update(20 * MIB, 100 * MIB);
        clock.addAndGet(SECOND);
        p.update(100 * MIB, 100 * MIB);
        p.finish();
        assertFalse(output().contains("\r") || output().contains("\033"), output());
        assertEquals(List.of(
                "resync:   0%  0 B / 100 MiB  0 B/s  time left unknown",
                "resync:  20%  20 MiB / 100 MiB  2.0 MiB/s  40 s left",
                "resync: 100%  100 MiB / 100 MiB  9.1 MiB/s  done in 11 s"), output().lines().toList());
    }

    @Test
    void aLineOfItsOwnClearsTheBarAndRedrawsItAfter() {
        Progress p = progress(true);
        p.update(1, 4);
        p.println("  mismatch: cluster 7");
        assertTrue(output().contains("\r\033[K  mismatch: cluster 7\nresync ["), output());
        Progress plain = new Progress("scrub", Long::toString, out, false, clock::get, SECOND);
        bytes.reset();
        plain.println("  mismatch: cluster 8");
        assertEquals("  mismatch: cluster 8\n", output());
    }

    @Test
    void nothingToDoIsDoneAndTheTotalMayGrow() {
        Progress p = progress(false);
        p.update(0, 0);
        assertTrue(output().startsWith("resync: 100%"), output());
        assertThrows(IllegalArgumentException.class, () -> p.update(-1, 5));
        Progress bar = progress(true);
        bar.update(5, 10);
        clock.addAndGet(SECOND);
        bar.update(5, 20);
        assertTrue(output().endsWith("resync [######------------------]  25%  5 B / 20 B  5 B/s  3 s left\033[K"),
                output());
        clock.addAndGet(SECOND);
        bar.advance(5);
        assertTrue(output().endsWith("resync [############------------]  50%  10 B / 20 B  5 B/s  2 s left\033[K"),
                output());
    }
}
