package io.cfs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.RpcServer;
import io.cfs.protocol.rpc.Transport;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The metrics HTTP endpoint on a free port, and an RpcServer recording into its registry. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MetricsServerTest {
    private static final ClusterCredentials CREDENTIALS =
            ClusterCredentials.of("metrics-test-secret-0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(MetricsServer server, String path, String method) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
        HttpRequest request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(5)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesPrometheusTextWithTheCommonTagsAndJvmMeters() throws Exception {
        try (MetricsServer server = MetricsServer.start(ANY_PORT, "block-store", "ss1")) {
            assertTrue(server.address().getPort() > 0, "port 0 binds a free port");
            server.registry().counter("cfs.test.events").increment(3);
            HttpResponse<String> r = get(server, "/metrics", "GET");
            assertEquals(200, r.statusCode());
            assertEquals(MetricsServer.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElseThrow());
            String text = r.body();
            assertTrue(text.contains("cfs_test_events_total{daemon=\"block-store\",id=\"ss1\"} 3.0"), text);
            assertTrue(text.contains("# TYPE cfs_test_events_total counter"), text);
            assertTrue(text.contains("jvm_memory_used_bytes{"), "JVM memory is bound");
            assertTrue(text.contains("jvm_threads_live_threads{"), "JVM threads are bound");
            assertTrue(text.contains("process_uptime_seconds{"), "process uptime is bound");
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (MetricsServer server = MetricsServer.start(ANY_PORT, "mount", "host1")) {
            HttpResponse<String> missing = get(server, "/", "GET");
            assertEquals(404, missing.statusCode());
            assertTrue(missing.body().contains("only /metrics"), missing.body());
            assertEquals(405, get(server, "/metrics", "POST").statusCode());
            assertEquals(200, get(server, "/metrics", "HEAD").statusCode());
        }
    }

    @Test
    void aPortInUseIsAClearError() throws Exception {
        try (MetricsServer first = MetricsServer.start(ANY_PORT, "metadata-server", "meta")) {
            int port = first.address().getPort();
            IOException e = assertThrows(IOException.class, () -> MetricsServer.start(
                    InetSocketAddress.createUnresolved("127.0.0.1", port), "block-store", "ss2"));
            assertTrue(e.getMessage().startsWith("cannot serve metrics on 127.0.0.1:" + port + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("metrics= keys of the topology"), e.getMessage());
        }
        IOException foreign = assertThrows(IOException.class, () -> MetricsServer.start(
                InetSocketAddress.createUnresolved("192.0.2.1", 9400), "mount", "h")); // not this machine's
        assertTrue(foreign.getMessage().startsWith("cannot serve metrics on 192.0.2.1:9400: "), foreign.getMessage());
    }

    @Test
    void anRpcServerRecordsIntoTheScrapedRegistry() throws Exception {
        EventLoopGroup group = Transport.newEventLoopGroup("metrics-test-client", 1);
        Timespec t = new Timespec(1, 0);
        FileAttr attr = new FileAttr(7, FileType.REGULAR, 0644, 1, 0, 0, 0, 70, t, t, t);
        try (MetricsServer metrics = MetricsServer.start(ANY_PORT, "metadata-server", "meta");
             RpcServer rpc = RpcServer.start("meta", ANY_PORT, 1, CREDENTIALS,
                     (ch, m) -> CompletableFuture.completedFuture(new AttrReply(attr)), metrics.registry());
             RpcClient client = new RpcClient("client", rpc.address(), group, CREDENTIALS, Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                client.call(new GetAttrRequest(7), AttrReply.class);
            }
            String text = get(metrics, "/metrics", "GET").body();
            assertTrue(text.contains("cfs_rpc_server_requests_seconds_count{daemon=\"metadata-server\",id=\"meta\","
                    + "op=\"GET_ATTR\",result=\"ok\"} 3"), text);
            assertTrue(text.contains("cfs_rpc_server_requests_seconds_bucket{daemon=\"metadata-server\",id=\"meta\","
                    + "op=\"GET_ATTR\",result=\"ok\",le=\"10.0\"} 3"), "a latency histogram per operation");
            assertTrue(text.contains("cfs_rpc_server_received_bytes_total{daemon=\"metadata-server\",id=\"meta\","
                    + "op=\"GET_ATTR\"} 66.0"), "3 frames of 22 bytes");
            assertTrue(text.contains("cfs_rpc_server_connections{daemon=\"metadata-server\",id=\"meta\"} 1.0"), text);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
