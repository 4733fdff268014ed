package io.cfs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cfs.protocol.Frames;
import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.Samples;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.GetAttrRequest;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Random and mutated frames against a real server, from authenticated and unauthenticated peers,
 * while a well-behaved client keeps calling it: every call is answered correctly, no exception
 * escapes a pipeline (Netty logs those as "reached at the tail") or a handler, no buffer leaks.
 */
@ExtendWith(LeakCheck.class)
class ServerFuzzTest {
    static final long SEED = Long.getLong("cfs.fuzz.seed", 20261125L);
    static final int PEERS = 300;

    @Test
    void garbageFromManyPeersNeitherCrashesTheServerNorDisturbsAGoodClient() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        EventLoopGroup group = Transport.newEventLoopGroup("fuzz-client", 1);
        try (RpcServer server = RpcServer.start("fuzz", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2,
                RpcTest.CREDENTIALS.withLimits(Duration.ofSeconds(20), 1024), RpcTest::handle);
             RpcClient good = new RpcClient("good", server.address(), group, RpcTest.CREDENTIALS, Duration.ofSeconds(10))) {
            AtomicLong answered = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                long i = 0;
                while (!Thread.currentThread().isInterrupted() && failure.get() == null) {
                    try {
                        i++;
                        assertEquals(new AttrReply(RpcTest.attr(i)), good.call(new GetAttrRequest(i), AttrReply.class));
                        answered.incrementAndGet();
                    } catch (Throwable t) {
                        if (!Thread.currentThread().isInterrupted()) {
                            failure.compareAndSet(null, t);
                        }
                    }
                }
            }, "good-client");
            caller.start();

            Random random = new Random(SEED);
            List<Samples.Sample> samples = Samples.all();
            for (int peer = 0; peer < PEERS && failure.get() == null; peer++) {
                boolean authenticate = random.nextInt(3) > 0;
                try (Socket s = authenticate ? RawPeer.authenticated(server.address(), RpcTest.SECRET)
                        : new Socket(server.address().getAddress(), server.address().getPort())) {
                    s.setSoTimeout(3000);
                    for (int f = 0; f < 1 + random.nextInt(4); f++) {
                        s.getOutputStream().write(garbage(random, samples));
                    }
                    s.shutdownOutput();
                    drain(s.getInputStream()); // replies to frames that still decoded, then the close
                } catch (IOException e) {
                    // reset by the server: what it does to garbage
                }
            }
            caller.interrupt();
            caller.join(15_000);
            if (failure.get() != null) {
                throw new AssertionError("the well-behaved client failed after " + answered + " answers (seed "
                        + SEED + ")", failure.get());
            }
            assertTrue(answered.get() > 0, "the well-behaved client got no answers at all");
            assertEquals(new AttrReply(RpcTest.attr(7)), good.call(new GetAttrRequest(7), AttrReply.class));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            root.detachAppender(logs);
        }
        List<String> escaped = logs.list.stream()
                .filter(e -> (e.getLevel().isGreaterOrEqual(Level.ERROR)
                        // the test handler fails REMOVE on purpose
                        && !e.getFormattedMessage().contains("REMOVE failed unexpectedly"))
                        || e.getFormattedMessage().contains("reached at the tail of the pipeline"))
                .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
        assertTrue(escaped.isEmpty(), "exceptions escaped (seed " + SEED + "): " + escaped);
    }

    /** A random byte string, or a sample frame with a few bytes changed, cut short or grown. */
    static byte[] garbage(Random random, List<Samples.Sample> samples) {
        if (random.nextInt(4) == 0) {
            byte[] b = new byte[random.nextInt(200)];
            random.nextBytes(b);
            return b;
        }
        Samples.Sample sample = samples.get(random.nextInt(samples.size()));
        byte[] frame = Frames.encode(sample.envelope());
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            switch (random.nextInt(3)) {
                case 0 -> frame[random.nextInt(frame.length)] = (byte) random.nextInt(256);
                case 1 -> frame = java.util.Arrays.copyOf(frame, random.nextInt(frame.length + 1));
                default -> frame = java.util.Arrays.copyOf(frame, frame.length + random.nextInt(16));
            }
            if (frame.length == 0) {
                break;
            }
        }
        return frame;
    }

    static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        while (in.read(buf) >= 0) {
            // until the server closes (or answers and the idle timeout closes)
        }
    }
}
