package io.cfs.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one process's metrics as Prometheus text at {@code GET /metrics} (the JDK's HTTP server,
 * as Micrometer's Prometheus guide shows; one thread, since a scrape is rare and short). It owns
 * the {@link PrometheusMeterRegistry} every part of the process records into, with the JVM and
 * process meters (memory, GC, threads, classes, CPU, uptime, file descriptors) bound, and the
 * common tags {@code daemon} (metadata-server, block-store, mount) and {@code id} (meta, ss1, the
 * mount's client id) on every series.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    public static final String PATH = "/metrics";
    /** The Prometheus text exposition format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final HttpServer http;
    private final ExecutorService executor;

    private MetricsServer(PrometheusMeterRegistry registry, JvmGcMetrics gc, HttpServer http, ExecutorService executor) {
        this.registry = registry;
        this.gc = gc;
        this.http = http;
        this.executor = executor;
    }

    /**
     * Binds {@code address} (port 0 picks a free one) and serves {@code /metrics}.
     *
     * @param daemon the kind of process, the {@code daemon} tag
     * @param id     its id in the topology, the {@code id} tag
     * @throws IOException the address cannot be bound; the message names it
     */
    public static MetricsServer start(InetSocketAddress address, String daemon, String id) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("daemon", daemon, "id", id);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        InetSocketAddress bind = new InetSocketAddress(address.getHostString(), address.getPort());
        HttpServer http;
        try {
            if (bind.isUnresolved()) {
                throw new IOException("unknown host");
            }
            http = HttpServer.create(bind, 16);
        } catch (IOException e) {
            gc.close();
            registry.close();
            throw new IOException("cannot serve metrics on " + bind.getHostString() + ":" + bind.getPort() + ": "
                    + e.getMessage() + " (is another daemon using the port? see the metrics= keys of the topology)", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, daemon + "-" + id + "-metrics");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        MetricsServer server = new MetricsServer(registry, gc, http, executor);
        http.createContext("/", server::handle);
        http.start();
        log.info("{} {}: metrics at http://{}:{}{}", daemon, id, bind.getHostString(), server.address().getPort(),
                PATH);
        return server;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                reply(exchange, 404, "only " + PATH + " is served here\n");
                return;
            }
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(exchange, 405, "expected GET " + PATH + "\n");
                return;
            }
            byte[] body = registry.scrape(CONTENT_TYPE)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (RuntimeException e) {
            log.warn("metrics scrape failed: {}", e.toString());
            throw e;
        }
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The registry every part of this process records into. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The bound address (with the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** Stops serving and unbinds the JVM meters. */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        gc.close();
        registry.close();
    }
}
