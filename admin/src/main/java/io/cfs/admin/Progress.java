package io.cfs.admin;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The progress of a long operation (a resync, a scrub): on a terminal one line redrawn in place,
 * {@code label [#####-----]  52%  120 MiB / 230 MiB  45.2 MiB/s  3 s left}; elsewhere (a pipe, a
 * log, CI) a plain line every {@code plainInterval}, so logs stay readable. The rate is the
 * average since the start; the time left is what remains at that rate. Lines printed while the
 * bar shows go through {@link #println} so they do not mix with it.
 */
final class Progress {
    private static final int BAR = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final String label;
    private final LongFunction<String> unit;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final long plainIntervalNanos;
    private final long start;
    private long total;
    private long done;
    private long lastDrawn = Long.MIN_VALUE;
    private boolean barShown;

    /**
     * @param unit          how an amount is written (e.g. {@link Units#bytes})
     * @param terminal      draw a bar in place; else plain lines
     * @param nanoClock     a monotonic clock ({@code System::nanoTime})
     * @param plainInterval nanoseconds between plain lines
     */
    Progress(String label, LongFunction<String> unit, PrintStream out, boolean terminal, LongSupplier nanoClock,
             long plainInterval) {
        this.label = label;
        this.unit = unit;
        this.out = out;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
        this.plainIntervalNanos = plainInterval;
        this.start = nanoClock.getAsLong();
    }

    /** Progress on standard output: a bar when it is a terminal, a plain line every 10 s otherwise. */
    static Progress onStdout(String label, LongFunction<String> unit) {
        return new Progress(label, unit, System.out, stdoutIsTerminal(), System::nanoTime, 10_000_000_000L);
    }

    /**
     * Whether standard output is a terminal: {@code scripts/cfs} says so in {@code -Dcfs.tty}
     * ({@code [ -t 1 ]}); without it, whether the JVM has a console.
     */
    static boolean stdoutIsTerminal() {
        String tty = System.getProperty("cfs.tty");
        return tty != null ? Boolean.parseBoolean(tty) : System.console() != null;
    }

    /** {@code done} of {@code total} now; the total may grow (more to copy arrived meanwhile). */
    void update(long done, long total) {
        if (done < 0 || total < 0) {
            throw new IllegalArgumentException("progress " + done + " of " + total + ": expected both >= 0");
        }
        this.done = Math.min(done, total);
        this.total = total;
        long now = nanoClock.getAsLong();
        long interval = terminal ? REDRAW_NANOS : plainIntervalNanos;
        if (lastDrawn == Long.MIN_VALUE || now - lastDrawn >= interval || (terminal && done == total)) {
            draw(now);
        }
    }

    /** {@code n} more done, of the same total. */
    void advance(long n) {
        update(done + n, total);
    }

    /** A line of its own (a finding, a result) that must not mix with the bar. */
    void println(String line) {
        if (barShown) {
            out.print("\r\033[K");
        }
        out.println(line);
        if (barShown) {
            out.print(render(nanoClock.getAsLong()));
            out.flush();
        }
    }

    /** Ends the progress: the final figures (on a terminal the bar's last state stays on its line). */
    void finish() {
        long now = nanoClock.getAsLong();
        if (terminal) {
            draw(now);
            out.println();
            barShown = false;
        } else if (lastDrawn != now) {
            draw(now);
        }
        out.flush();
    }

    private void draw(long now) {
        lastDrawn = now;
        if (terminal) {
            out.print("\r" + render(now) + "\033[K");
            barShown = true;
        } else {
            out.println(label + ": " + figures(now));
        }
        out.flush();
    }

    /** The bar line, without the carriage return. */
    String render(long now) {
        int filled = total == 0 ? BAR : (int) (BAR * done / total);
        return label + " [" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + figures(now);
    }

    private String figures(long now) {
        double seconds = (now - start) / 1e9;
        long rate = seconds > 0 ? (long) (done / seconds) : 0;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%3d%%", total == 0 ? 100 : done * 100 / total));
        sb.append("  ").append(unit.apply(done)).append(" / ").append(unit.apply(total));
        sb.append("  ").append(unit.apply(rate)).append("/s");
        if (done >= total) {
            sb.append("  done in ").append(Units.duration((long) (seconds * 1000)));
        } else if (rate > 0) {
            sb.append("  ").append(Units.duration((total - done) * 1000 / rate)).append(" left");
        } else {
            sb.append("  time left unknown");
        }
        return sb.toString();
    }
}
