package io.cfs.mount.fuse;

import io.cfs.metrics.Latency;
import io.cfs.protocol.CfsException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wrapper every FUSE callback goes through: it runs the call, logs it at debug, counts and
 * times it per operation, and maps exceptions to errno in one place ({@link Errno}).
 *
 * <p>Meters: {@code cfs_fuse_requests_seconds{op}} (a latency histogram per callback),
 * {@code cfs_fuse_errors_total{op,errno}} (callbacks that returned an error, by its name) and
 * {@code cfs_fuse_bytes_total{op}} (bytes that read and write returned). They are made once per
 * operation (and per errno seen), so a call allocates none.
 *
 * <p>On a read-only mount it refuses every call that would change the file system with EROFS.
 */
final class FuseCall {
    private static final Logger log = LoggerFactory.getLogger(FuseCall.class);

    /** The body of a callback: returns 0 or a count (read/write), or throws. */
    @FunctionalInterface
    interface Body {
        int run() throws Exception;
    }

    /** The meters of one callback. */
    private static final class OpMeters {
        final String op;
        final Timer latency;
        /** Bytes moved, for read and write only. */
        final Counter bytes;
        /** Errors by errno (positive); the boxes of small ints are cached, so a lookup allocates nothing. */
        final Map<Integer, Counter> errors = new ConcurrentHashMap<>();

        OpMeters(String op, MeterRegistry registry) {
            this.op = op;
            this.latency = Latency.timer("cfs.fuse.requests").description("FUSE callbacks served, and their latency")
                    .tag("op", op).register(registry);
            this.bytes = op.equals("read") || op.equals("write")
                    ? Counter.builder("cfs.fuse.bytes").baseUnit("bytes").tag("op", op)
                            .description("bytes returned by read and write callbacks").register(registry)
                    : null;
        }
    }

    private final MeterRegistry registry;
    /** A fixed set of callback names, so bounded. */
    private final Map<String, OpMeters> ops = new ConcurrentHashMap<>();

    private final boolean readOnly;

    /** @param readOnly refuse {@link #mutate} calls with EROFS (a mount with {@code -o ro}) */
    FuseCall(MeterRegistry registry, boolean readOnly) {
        this.registry = registry;
        this.readOnly = readOnly;
    }

    /**
     * A call that changes the file system: run like {@link #run}, or refused with EROFS on a
     * read-only mount. The kernel already refuses most of them on a mount flagged read-only; this
     * holds even if the flag is lifted ({@code mount -o remount,rw}) behind the client's back.
     */
    int mutate(String op, String path, Body body) {
        return run(op, path, readOnly ? () -> {
            log.debug("{} {}: refused, the mount is read-only", op, path);
            return Errno.readOnly();
        } : body);
    }

    int run(String op, String path, Body body) {
        long start = System.nanoTime();
        int result;
        try {
            result = body.run();
        } catch (CfsException e) {
            result = Errno.of(e.code());
            if (result == Errno.eio()) {
                log.warn("{} {}: {}", op, path, e.toString());
            } else {
                log.debug("{} {}: {}", op, path, e.toString());
            }
        } catch (Exception | Error e) {
            log.error("{} {} failed unexpectedly", op, path, e);
            result = Errno.eio();
        }
        long nanos = System.nanoTime() - start;
        OpMeters m = ops.get(op);
        if (m == null) {
            m = ops.computeIfAbsent(op, k -> new OpMeters(k, registry));
        }
        m.latency.record(nanos, TimeUnit.NANOSECONDS);
        if (result < 0) {
            error(m, -result).increment();
        } else if (m.bytes != null) {
            m.bytes.increment(result);
        }
        if (log.isTraceEnabled()) {
            log.trace("{} {} -> {} in {} us", op, path, result, nanos / 1000);
        }
        return result;
    }

    private Counter error(OpMeters m, int errno) {
        Counter c = m.errors.get(errno);
        if (c == null) {
            c = m.errors.computeIfAbsent(errno, e -> Counter.builder("cfs.fuse.errors")
                    .description("FUSE callbacks that returned an error, by errno").tag("op", m.op)
                    .tag("errno", Errno.name(e)).register(registry));
        }
        return c;
    }

    /** "op calls avg_us" per operation, for the log at unmount. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(ops).forEach((op, m) -> {
            long calls = m.latency.count();
            sb.append(String.format("%s=%d calls/%d us avg ", op, calls,
                    calls == 0 ? 0 : (long) m.latency.totalTime(TimeUnit.MICROSECONDS) / calls));
        });
        return sb.toString().trim();
    }
}
