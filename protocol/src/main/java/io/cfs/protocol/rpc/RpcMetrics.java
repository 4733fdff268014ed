package io.cfs.protocol.rpc;

import io.cfs.metrics.Latency;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.Opcode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one {@link RpcServer}: requests and their latency by operation and result, bytes
 * in and out by opcode, open connections and malformed frames. Meters are created on first use of
 * an (opcode, result) and then kept in arrays indexed by ordinal, so a request allocates nothing.
 *
 * <ul>
 *   <li>{@code cfs_rpc_server_requests_seconds{op,result}}: a histogram of the time from a
 *       request's arrival to its reply being handed to the connection; {@code result} is
 *       {@code ok} or the error code (lower case)</li>
 *   <li>{@code cfs_rpc_server_received_bytes_total{op}}, {@code cfs_rpc_server_sent_bytes_total{op}}:
 *       whole frames by the frame's opcode (requests in, replies out: DATA carries read data)</li>
 *   <li>{@code cfs_rpc_server_connections}: connections open now</li>
 *   <li>{@code cfs_rpc_server_malformed_frames_total}: connections closed for a bad frame</li>
 * </ul>
 */
final class RpcMetrics {
    private static final Opcode[] OPS = Opcode.values();
    private static final ErrorCode[] ERRORS = ErrorCode.values();
    private static final int OK = ERRORS.length;

    private final MeterRegistry registry;
    /** [opcode][error ordinal, or OK]; filled lazily (a race registers the same meter twice: harmless). */
    private final Timer[][] latency = new Timer[OPS.length][ERRORS.length + 1];
    private final Counter[] received = new Counter[OPS.length];
    private final Counter[] sent = new Counter[OPS.length];
    private final AtomicInteger connections = new AtomicInteger();
    private final Counter malformed;

    RpcMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("cfs.rpc.server.connections", connections);
        this.malformed = Counter.builder("cfs.rpc.server.malformed.frames")
                .description("connections closed because a frame did not decode").register(registry);
    }

    /** A request of {@code op} answered after {@code nanos}: {@code error} null for a success. */
    void answered(Opcode op, ErrorCode error, long nanos) {
        int result = error == null ? OK : error.ordinal();
        Timer timer = latency[op.ordinal()][result];
        if (timer == null) {
            timer = Latency.timer("cfs.rpc.server.requests")
                    .description("requests served, by operation and result, and their latency")
                    .tag("op", op.name())
                    .tag("result", error == null ? "ok" : error.name().toLowerCase(Locale.ROOT))
                    .register(registry);
            latency[op.ordinal()][result] = timer;
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    void received(int opcode, int bytes) {
        count(received, "cfs.rpc.server.received", "request frame bytes received, by opcode", opcode, bytes);
    }

    void sent(int opcode, int bytes) {
        count(sent, "cfs.rpc.server.sent", "reply frame bytes sent, by opcode", opcode, bytes);
    }

    private void count(Counter[] counters, String name, String description, int opcode, int bytes) {
        Opcode op = Opcode.find(opcode);
        if (op == null) {
            return; // the codec rejects the frame
        }
        Counter c = counters[op.ordinal()];
        if (c == null) {
            c = Counter.builder(name).baseUnit("bytes").description(description).tag("op", op.name())
                    .register(registry);
            counters[op.ordinal()] = c;
        }
        c.increment(bytes);
    }

    void connected() {
        connections.incrementAndGet();
    }

    void disconnected() {
        connections.decrementAndGet();
    }

    void malformed() {
        malformed.increment();
    }
}
