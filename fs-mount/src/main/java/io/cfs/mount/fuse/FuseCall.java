package io.cfs.mount.fuse;

import io.cfs.protocol.CfsException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wrapper every FUSE callback goes through: it runs the call, logs it at debug, counts and
 * times it per operation, and maps exceptions to errno in one place ({@link Errno}). On a
 * read-only mount it refuses every call that would change the file system with EROFS.
 */
final class FuseCall {
    private static final Logger log = LoggerFactory.getLogger(FuseCall.class);

    /** The body of a callback: returns 0 or a count (read/write), or throws. */
    @FunctionalInterface
    interface Body {
        int run() throws Exception;
    }

    /** Calls and total nanoseconds per operation name; a fixed set of names, so bounded. */
    private final Map<String, LongAdder[]> stats = new ConcurrentHashMap<>();
    private final boolean readOnly;

    FuseCall() {
        this(false);
    }

    /** @param readOnly refuse {@link #mutate} calls with EROFS (a mount with {@code -o ro}) */
    FuseCall(boolean readOnly) {
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
        LongAdder[] s = stats.get(op);
        if (s == null) {
            s = stats.computeIfAbsent(op, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        }
        s[0].increment();
        s[1].add(nanos);
        if (log.isTraceEnabled()) {
            log.trace("{} {} -> {} in {} us", op, path, result, nanos / 1000);
        }
        return result;
    }

    /** "op calls avg_us" per operation, for the log at unmount. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        stats.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            long calls = e.getValue()[0].sum();
            sb.append(String.format("%s=%d calls/%d us avg ", e.getKey(), calls,
                    calls == 0 ? 0 : e.getValue()[1].sum() / calls / 1000));
        });
        return sb.toString().trim();
    }
}
