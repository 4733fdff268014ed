package io.cfs.protocol.rpc;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.ErrorReply;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.PingRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipelined connection to a CFS daemon. Requests carry ids and many may be in flight; each
 * completes with its reply, with a {@link CfsException} for an error reply, or with UNAVAILABLE
 * when the connection fails or the reply does not come within the timeout, so a caller never
 * hangs. A lost connection is re-established by the next call.
 *
 * <p>A cut network link closes nothing: packets just vanish. So a connection with calls in flight
 * that has heard nothing for a quarter of {@code deadAfter} (no reply bytes, no progress sending)
 * is sent a {@link PingRequest}, which servers answer at once; one silent for {@code deadAfter}
 * is presumed cut: its calls fail with UNAVAILABLE (a reader fails over to another member), and
 * so do new calls, at once, without waiting for a connect timeout, while a probe tries to
 * reconnect in the background every quarter of {@code deadAfter}. A connect that times out (no
 * answer at all, not a refusal) does the same. A refused connect (the daemon is down but its host
 * answers) fails only its own calls: the next call connects again.
 */
public final class RpcClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcClient.class);
    /** How long a connection with calls in flight may stay silent before it is presumed cut. */
    public static final Duration DEFAULT_DEAD_AFTER = Duration.ofSeconds(4);

    private final String name;
    private final InetSocketAddress remote;
    private final Duration timeout;
    private final long pingAfterNanos;
    private final long deadAfterNanos;
    private final Bootstrap bootstrap;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Call> pending = new ConcurrentHashMap<>();
    private final Object connectLock = new Object();
    private volatile ChannelFuture connection;
    private volatile boolean closed;
    private volatile Supplier<Message> greeting;
    private volatile Consumer<CompletableFuture<Message>> greetingReply;
    /** Why the remote is presumed unreachable, or null: while set, calls fail at once and a probe reconnects. */
    private volatile CfsException unreachable;
    /** Whether a probe is scheduled or connecting. Guarded by {@link #connectLock}. */
    private boolean probing;

    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, Duration timeout) {
        this(name, remote, group, timeout, DEFAULT_DEAD_AFTER);
    }

    /** @param deadAfter how long a connection with calls in flight may stay silent before it is presumed cut */
    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, Duration timeout, Duration deadAfter) {
        if (deadAfter.toMillis() < 4) {
            throw new IllegalArgumentException(name + ": dead-after " + deadAfter + ": expected at least 4 ms");
        }
        this.name = name;
        this.remote = remote;
        this.timeout = timeout;
        this.deadAfterNanos = deadAfter.toNanos();
        this.pingAfterNanos = deadAfterNanos / 4;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 5000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("liveness", new Liveness());
                        MessageCodec.install(ch.pipeline());
                        ch.pipeline().addLast("replies", new ReplyHandler());
                    }
                });
    }

    /**
     * Sends {@code message} first on every new connection, before any queued request, and hands its
     * reply to {@code onReply} (e.g. binding the connection to a session after a reconnect).
     */
    public void greeting(Supplier<Message> message, Consumer<CompletableFuture<Message>> onReply) {
        this.greetingReply = onReply;
        this.greeting = message;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /**
     * Sends a request. The data of a {@link DataMessage} is owned by the client from here on.
     * A {@link DataMessage} reply must be released by the caller.
     */
    /** A request in flight, and the connection it went out on (once sent). */
    private static final class Call {
        final CompletableFuture<Message> reply = new CompletableFuture<>();
        volatile Channel channel;
    }

    public CompletableFuture<Message> call(Message request) {
        Call call = new Call();
        CompletableFuture<Message> reply = call.reply;
        if (closed) {
            release(request);
            reply.completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, name + ": client closed"));
            return reply;
        }
        CfsException down = unreachable;
        if (down != null) {
            release(request);
            reply.completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, name + ": not sent: " + down.getMessage(),
                    new ConnectException(remote + " presumed unreachable")));
            return reply;
        }
        ChannelFuture conn = connect();
        conn.addListener(f -> {
            if (!f.isSuccess()) {
                release(request);
                if (!refused(f.cause())) {
                    presumeUnreachable(new CfsException(ErrorCode.UNAVAILABLE, "cannot connect to " + remote + ": "
                            + f.cause().getMessage(), f.cause()));
                }
                reply.completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot connect to "
                        + remote + ": " + f.cause().getMessage(), f.cause()));
                return;
            }
            send(conn.channel(), request, call);
        });
        return reply;
    }

    private CompletableFuture<Message> send(Channel ch, Message request) {
        Call call = new Call();
        send(ch, request, call);
        return call.reply;
    }

    /** Sends a request on a connected channel, failing it with UNAVAILABLE if no reply comes in time. */
    private void send(Channel ch, Message request, Call call) {
        long id = ids.incrementAndGet();
        pending.put(id, call);
        call.channel = ch;
        var timer = ch.eventLoop().schedule(() -> fail(id, new CfsException(ErrorCode.UNAVAILABLE, name
                + ": no reply from " + remote + " to " + request.opcode() + " within " + timeout.toMillis()
                + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
        call.reply.whenComplete((r, e) -> timer.cancel(false));
        ch.writeAndFlush(new Envelope(id, request)).addListener(w -> {
            if (!w.isSuccess()) {
                fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot send to " + remote + ": "
                        + w.cause().getMessage(), w.cause()));
            }
        });
    }

    /** Sends a request and waits for a reply of the expected type. */
    public <T extends Message> T call(Message request, Class<T> replyType) {
        Message reply;
        try {
            reply = call(request).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CfsException(ErrorCode.UNAVAILABLE, name + ": interrupted waiting for " + remote);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CfsException c) {
                throw new CfsException(c.code(), c.getMessage(), c);
            }
            throw new CfsException(ErrorCode.IO_ERROR, name + ": " + e.getCause(), e.getCause());
        }
        return expect(reply, replyType);
    }

    /** Checks a reply's type; a wrong one is a protocol bug on the other side. */
    public <T extends Message> T expect(Message reply, Class<T> replyType) {
        if (!replyType.isInstance(reply)) {
            release(reply);
            throw new CfsException(ErrorCode.IO_ERROR, name + ": " + remote + " answered " + reply.opcode()
                    + ": expected " + replyType.getSimpleName());
        }
        return replyType.cast(reply);
    }

    private ChannelFuture connect() {
        ChannelFuture c = connection;
        if (c != null && (!c.isDone() || (c.isSuccess() && c.channel().isActive()))) {
            return c;
        }
        synchronized (connectLock) {
            c = connection;
            if (c == null || (c.isDone() && !(c.isSuccess() && c.channel().isActive()))) {
                c = newConnection();
                connection = c;
            }
            return c;
        }
    }

    /** Connects; the greeting, if any, is the first request on the new connection. */
    private ChannelFuture newConnection() {
        ChannelFuture c = bootstrap.connect(remote);
        Supplier<Message> hello = greeting;
        if (hello != null) {
            // registered before any caller's listener, so it is the first request on the wire
            c.addListener(f -> {
                if (f.isSuccess()) {
                    greetingReply.accept(send(c.channel(), hello.get()));
                }
            });
        }
        return c;
    }

    /** A connect refused at once: the host answers, the daemon is down (a restart is tried by the next call). */
    private static boolean refused(Throwable cause) {
        return cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException);
    }

    /** From now on calls fail at once, until a probe connects. */
    private void presumeUnreachable(CfsException why) {
        synchronized (connectLock) {
            if (closed) {
                return;
            }
            boolean first = unreachable == null;
            unreachable = why;
            if (first) {
                log.warn("{}: {}; calls fail at once until a connection succeeds (tried every {} ms)", name,
                        why.getMessage(), TimeUnit.NANOSECONDS.toMillis(pingAfterNanos));
            }
            if (!probing) {
                probing = true;
                bootstrap.config().group().schedule(this::probe, pingAfterNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    private void probe() {
        if (closed) {
            return;
        }
        ChannelFuture c = newConnection();
        c.addListener(f -> {
            synchronized (connectLock) {
                if (closed) {
                    probing = false;
                    c.channel().close();
                    return;
                }
                if (f.isSuccess() || refused(f.cause())) {
                    probing = false;
                    unreachable = null;
                    if (f.isSuccess()) {
                        connection = c;
                        log.info("{}: connected to {} again", name, remote);
                    }
                    return;
                }
                unreachable = new CfsException(ErrorCode.UNAVAILABLE, "cannot connect to " + remote + ": "
                        + f.cause().getMessage(), f.cause());
                bootstrap.config().group().schedule(this::probe, pingAfterNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    private void fail(long id, CfsException error) {
        Call call = pending.remove(id);
        if (call != null) {
            call.reply.completeExceptionally(error);
        }
    }

    private static void release(Message m) {
        if (m instanceof DataMessage d) {
            ReferenceCountUtil.release(d.data());
        }
    }

    @Override
    public void close() {
        closed = true;
        ChannelFuture c = connection;
        if (c != null) {
            c.channel().close();
        }
        for (Long id : pending.keySet()) {
            fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": client closed"));
        }
    }

    /**
     * Watches one connection: sends a PING when it has calls in flight and has been silent for
     * {@link #pingAfterNanos}, and presumes it cut after {@link #deadAfterNanos} of silence. Bytes
     * read, and bytes of the outbound buffer leaving it, count as heard.
     */
    private final class Liveness extends ChannelInboundHandlerAdapter {
        private long heardNanos;
        private long outboundBytes;
        private boolean pinging;
        private ScheduledFuture<?> check;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            heardNanos = System.nanoTime();
            check = ctx.executor().scheduleWithFixedDelay(() -> check(ctx.channel()), pingAfterNanos, pingAfterNanos,
                    TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            heardNanos = System.nanoTime();
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (check != null) {
                check.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        private void check(Channel ch) {
            long now = System.nanoTime();
            var out = ch.unsafe().outboundBuffer();
            long outbound = out == null ? 0 : out.totalPendingWriteBytes();
            if (outbound < outboundBytes || !callsOn(ch)) {
                heardNanos = now; // sending progresses, or nothing is expected
            }
            outboundBytes = outbound;
            long silent = now - heardNanos;
            if (silent >= deadAfterNanos) {
                CfsException why = new CfsException(ErrorCode.UNAVAILABLE, "connection to " + remote + " silent for "
                        + TimeUnit.NANOSECONDS.toMillis(silent) + " ms with calls in flight, a ping unanswered:"
                        + " presumed cut");
                presumeUnreachable(why);
                pending.forEach((id, call) -> {
                    if (call.channel == ch) {
                        fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": " + why.getMessage()));
                    }
                });
                ch.close();
            } else if (silent >= pingAfterNanos && !pinging) {
                pinging = true;
                send(ch, new PingRequest()).whenComplete((r, e) -> pinging = false);
            }
        }
    }

    private boolean callsOn(Channel ch) {
        for (Call call : pending.values()) {
            if (call.channel == ch) {
                return true;
            }
        }
        return false;
    }

    private final class ReplyHandler extends SimpleChannelInboundHandler<Envelope> {
        ReplyHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
            Call call = pending.remove(envelope.requestId());
            CompletableFuture<Message> f = call == null ? null : call.reply;
            Message m = envelope.message();
            if (f == null) {
                release(m); // timed out already
            } else if (m instanceof ErrorReply e) {
                f.completeExceptionally(new CfsException(e.code(), e.detail()));
            } else if (!f.complete(m)) {
                release(m);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // only the calls sent on this connection: a newer one may already carry others
            pending.forEach((id, call) -> {
                if (call.channel == ctx.channel()) {
                    fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": connection to " + remote + " lost"));
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
