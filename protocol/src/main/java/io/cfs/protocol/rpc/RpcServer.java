package io.cfs.protocol.rpc;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.Opcode;
import io.cfs.protocol.message.ErrorReply;
import io.cfs.protocol.message.Message;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.PingRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CFS server endpoint: accepts connections, authenticates each (the {@link Handshake}, under TLS
 * when the credentials have it), decodes requests, hands them to a {@link RequestHandler} and
 * writes the replies, pipelined by request id. A malformed frame closes that one connection and is
 * logged once. A connection on which nothing is read or written for the idle timeout is closed
 * (TCP keep-alive also finds dead peers); connections beyond the maximum are closed at once.
 * PING is answered here, at once, whatever the handler is doing.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

    private final String name;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;
    /** The accepted connections still open, closed first by {@link #close}. */
    private final ChannelGroup connections;

    private RpcServer(String name, EventLoopGroup boss, EventLoopGroup workers, Channel channel,
                      ChannelGroup connections) {
        this.name = name;
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
        this.connections = connections;
    }

    /** Binds {@code address} (port 0 picks a free port) and starts serving. */
    public static RpcServer start(String name, InetSocketAddress address, int ioThreads,
                                  ClusterCredentials credentials, RequestHandler handler) throws InterruptedException {
        return start(name, address, ioThreads, credentials, handler, new SimpleMeterRegistry());
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and starts serving, recording requests,
     * latencies, bytes and connections into {@code registry} (see {@link RpcMetrics}).
     */
    public static RpcServer start(String name, InetSocketAddress address, int ioThreads, ClusterCredentials credentials,
                                  RequestHandler handler, MeterRegistry registry) throws InterruptedException {
        RpcMetrics metrics = new RpcMetrics(registry);
        EventLoopGroup boss = Transport.newEventLoopGroup(name + "-accept", 1);
        EventLoopGroup workers = Transport.newEventLoopGroup(name + "-io", ioThreads);
        ConnectionLimit limit = new ConnectionLimit(name, credentials.maxConnections());
        ChannelGroup connections = new DefaultChannelGroup(name + "-connections", GlobalEventExecutor.INSTANCE);
        long idleMillis = credentials.idleTimeout().toMillis();
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                    .childOption(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch); // leaves the group when it closes
                            if (!limit.admit(ch)) {
                                return;
                            }
                            ChannelPipeline p = ch.pipeline();
                            credentials.serverTls().ifPresent(tls -> p.addLast("tls", tls.newHandler(ch.alloc())));
                            MessageCodec.install(p, Handshake.MAX_FRAME);
                            p.addAfter("frame", "meter", new FrameMeter(metrics));
                            p.addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS) {
                                @Override
                                protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent e) {
                                    log.info("{}: closing connection from {}: idle for {} ms", name,
                                            ctx.channel().remoteAddress(), idleMillis);
                                    ctx.close();
                                }
                            });
                            p.addLast("auth", new ServerAuthenticator(name, credentials));
                            p.addLast("dispatch", new Dispatcher(name, handler, metrics));
                        }
                    })
                    .bind(address).sync().channel();
            return new RpcServer(name, boss, workers, ch, connections);
        } catch (RuntimeException | InterruptedException e) {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            throw e;
        }
    }

    /** The bound address (with the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        // closed here rather than left to the event loops' shutdown, so that every client has its
        // connection closed (and fails over or reconnects) by the time this returns
        connections.close().awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("{} stopped", name);
    }

    /**
     * Sends {@code message} unasked on a connection (request id 0, see {@link RpcClient.PushListener}),
     * ahead of every reply this server sends on it after this call: both leave through the
     * connection's event loop's task queue in the order they were handed to it.
     */
    public static void push(Channel ch, Message message) {
        if (ch.eventLoop().inEventLoop()) {
            ch.writeAndFlush(new Envelope(0, message));
        } else {
            ch.eventLoop().execute(() -> ch.writeAndFlush(new Envelope(0, message)));
        }
    }

    /** Counts open connections and closes those beyond the maximum, logging at most once a second. */
    private static final class ConnectionLimit {
        private final String name;
        private final int max;
        private final AtomicInteger open = new AtomicInteger();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(2));

        ConnectionLimit(String name, int max) {
            this.name = name;
            this.max = max;
        }

        boolean admit(Channel ch) {
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                long n = refused.incrementAndGet();
                long last = lastLog.get();
                long now = System.nanoTime();
                if (now - last > TimeUnit.SECONDS.toNanos(1) && lastLog.compareAndSet(last, now)) {
                    refused.addAndGet(-n);
                    log.warn("{}: refusing connection from {}: {} connections open, the maximum (max-connections on"
                            + " the topology's cluster line); {} refused since the last message", name,
                            ch.remoteAddress(), max, n);
                }
                ch.close();
                return false;
            }
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            return true;
        }
    }

    /**
     * Counts whole frames by opcode, between the framing and the codec: inbound it sees each
     * request frame (without its length field), outbound the codec's header buffer (whose length
     * field counts the data buffers that follow it) and then those data buffers.
     */
    private static final class FrameMeter extends ChannelDuplexHandler {
        private final RpcMetrics metrics;
        /** Bytes of the frame being written still to come in data buffers (event loop only). */
        private long pendingData;

        FrameMeter(RpcMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf frame && frame.readableBytes() >= 2) {
                metrics.received(frame.getUnsignedShort(frame.readerIndex()), frame.readableBytes() + 4);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                if (pendingData > 0) {
                    pendingData -= buf.readableBytes();
                } else if (buf.readableBytes() >= 6) {
                    int frame = buf.getInt(buf.readerIndex()) + 4;
                    metrics.sent(buf.getUnsignedShort(buf.readerIndex() + 4), frame);
                    pendingData = frame - buf.readableBytes();
                }
            }
            ctx.write(msg, promise);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            metrics.connected();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            metrics.disconnected();
            ctx.fireChannelInactive();
        }
    }

    private static final class Dispatcher extends SimpleChannelInboundHandler<Envelope> {
        private final String name;
        private final RequestHandler handler;
        private boolean closing;
        private final RpcMetrics metrics;

        Dispatcher(String name, RequestHandler handler, RpcMetrics metrics) {
            super(false);
            this.name = name;
            this.handler = handler;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope request) {
            if (closing) { // the rest of what the peer sent before its bad frame
                if (request.message() instanceof DataMessage d) {
                    d.data().release();
                }
                return;
            }
            long start = System.nanoTime();
            Channel ch = ctx.channel();
            if (request.message() instanceof PingRequest) { // answered here: it tells the connection is alive
                send(ch, new Envelope(request.requestId(), new OkReply()));
                return;
            }
            Opcode op = request.message().opcode();
            if (log.isTraceEnabled()) {
                log.trace("{}: {} #{} from {}", name, op, request.requestId(), ch.remoteAddress());
            }
            CompletionStage<? extends Message> reply;
            try {
                reply = handler.handle(ch, request.message());
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            // Always through the event loop's task queue, even when the answer is already there: a
            // handler's other thread (the metadata server's journal) may have pushed a notice ahead of
            // this answer (see push) and completed it before this line; written here at once, the
            // answer would overtake the notice still queued.
            reply.whenComplete((message, error) -> {
                Message out = error == null ? message : toError(request, error);
                // recorded before the reply goes out, so a client that has its reply sees it counted
                metrics.answered(op, out instanceof ErrorReply e ? e.code() : null, System.nanoTime() - start);
                try {
                    ch.eventLoop().execute(() -> send(ch, new Envelope(request.requestId(), out)));
                } catch (RejectedExecutionException e) { // the server is closing: nothing will write it
                    if (out instanceof DataMessage d) {
                        d.data().release();
                    }
                }
            });
        }

        /**
         * Writes a reply on the event loop. A connection closed meanwhile has lost its codec, so the
         * reply's data would never be released by the write: release it here and drop the reply.
         */
        private void send(Channel ch, Envelope reply) {
            if (!ch.isActive()) {
                if (reply.message() instanceof DataMessage d) {
                    d.data().release();
                }
                log.debug("{}: dropping the reply to #{}: the connection from {} is closed", name,
                        reply.requestId(), ch.remoteAddress());
                return;
            }
            ch.writeAndFlush(reply).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    log.debug("{}: reply to #{} not sent to {}: {}", name, reply.requestId(), ch.remoteAddress(),
                            f.cause().toString());
                }
            });
        }

        private ErrorReply toError(Envelope request, Throwable error) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof CfsException e) {
                return new ErrorReply(e.code(), shorten(e.getMessage() == null ? "" : e.getMessage()));
            }
            log.error("{}: {} failed unexpectedly", name, request.message().opcode(), cause);
            return new ErrorReply(ErrorCode.INTERNAL, shorten(String.valueOf(cause)));
        }

        /** A detail that fits a wire string whatever it quotes (1000 chars are at most 4000 UTF-8 bytes). */
        private static String shorten(String detail) {
            return detail.length() <= 1000 ? detail : detail.substring(0, 997) + "...";
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closing) {
                return;
            }
            closing = true;
            if (cause instanceof DecoderException) {
                metrics.malformed();
                log.warn("{}: closing connection from {}: malformed frame: {}", name, ctx.channel().remoteAddress(),
                        cause.getMessage());
            } else {
                log.warn("{}: closing connection from {}: {}", name, ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
        }
    }
}
