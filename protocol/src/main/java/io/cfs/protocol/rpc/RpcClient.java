package io.cfs.protocol.rpc;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.AuthAccepted;
import io.cfs.protocol.message.AuthChallenge;
import io.cfs.protocol.message.AuthResponse;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.ErrorReply;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.PingRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
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
 * One pipelined connection to a CFS daemon. Every new connection is first authenticated (the
 * {@link Handshake}, under TLS when the credentials have it), then the greeting goes out, then the
 * requests. Requests carry ids and many may be in flight; each completes with its reply, with a
 * {@link CfsException} for an error reply, with AUTHENTICATION_FAILED when the daemon does not
 * accept this cluster's secret (or does not prove it holds it), or with UNAVAILABLE when the
 * connection fails or the reply does not come within the timeout, so a caller never hangs. A lost
 * connection is re-established by the next call. A connection idle for half the cluster's idle
 * timeout is retired before the daemon would close it, so an idle client never sees its
 * connection closed under a request: the next call simply opens a new one.
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
    private static final AttributeKey<Boolean> RETIRED = AttributeKey.valueOf("cfs.retired");
    /** How long a connection with calls in flight may stay silent before it is presumed cut. */
    public static final Duration DEFAULT_DEAD_AFTER = Duration.ofSeconds(4);

    private final String name;
    private final InetSocketAddress remote;
    private final Duration timeout;
    private final ClusterCredentials credentials;
    private final EventLoopGroup group;
    private final long pingAfterNanos;
    private final long deadAfterNanos;
    private final Bootstrap bootstrap;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Call> pending = new ConcurrentHashMap<>();
    private final Object connectLock = new Object();
    private volatile Future<Channel> connection;
    private volatile boolean closed;
    private volatile Supplier<Message> greeting;
    private volatile Consumer<CompletableFuture<Message>> greetingReply;
    private volatile PushListener pushes = PushListener.NONE;
    /** Why the remote is presumed unreachable, or null: while set, calls fail at once and a probe reconnects. */
    private volatile CfsException unreachable;
    /** Whether a probe is scheduled or connecting. Guarded by {@link #connectLock}. */
    private boolean probing;

    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, ClusterCredentials credentials,
                     Duration timeout) {
        this(name, remote, group, credentials, timeout, DEFAULT_DEAD_AFTER);
    }

    /** @param deadAfter how long a connection with calls in flight may stay silent before it is presumed cut */
    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, ClusterCredentials credentials,
                     Duration timeout, Duration deadAfter) {
        if (deadAfter.toMillis() < 4) {
            throw new IllegalArgumentException(name + ": dead-after " + deadAfter + ": expected at least 4 ms");
        }
        this.deadAfterNanos = deadAfter.toNanos();
        this.pingAfterNanos = deadAfterNanos / 4;
        this.name = name;
        this.remote = remote;
        this.timeout = timeout;
        this.credentials = credentials;
        this.group = group;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(Transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 5000));
    }

    /**
     * Sends {@code message} first on every new connection, right after the authentication and before
     * any queued request, and hands its reply to {@code onReply} (e.g. binding the connection to a
     * session after a reconnect).
     */
    public void greeting(Supplier<Message> message, Consumer<CompletableFuture<Message>> onReply) {
        this.greetingReply = onReply;
        this.greeting = message;
    }

    /** What a daemon sends unasked on a connection (request id 0), that it was heard from, and the loss of a connection. */
    public interface PushListener {
        PushListener NONE = new PushListener() {
            @Override
            public void pushed(Message message, boolean current) {
                release(message);
            }

            @Override
            public void heard() {
            }

            @Override
            public void disconnected() {
            }
        };

        /**
         * A message sent unasked; called on the connection's event loop, in the order it came with
         * that connection's replies. {@code current}: it came on the connection new calls go out on
         * (not on an older one still closing, whose pushes come in no order with the new one's replies).
         */
        void pushed(Message message, boolean current);

        /**
         * A frame comes from the daemon (a reply or a push): up to its sending, the daemon has pushed
         * what it had to. On the connection's event loop.
         */
        void heard();

        /** A connection was lost: what it would have pushed since is lost with it. On its event loop. */
        void disconnected();
    }

    /** Hands what the daemon sends unasked to {@code listener} (without one it is dropped). */
    public void pushes(PushListener listener) {
        this.pushes = listener;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** A request in flight, and the connection it went out on (once sent). */
    private static final class Call {
        final CompletableFuture<Message> reply = new CompletableFuture<>();
        volatile Channel channel;
    }

    /**
     * Sends a request. The data of a {@link DataMessage} is owned by the client from here on.
     * A {@link DataMessage} reply must be released by the caller.
     */
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
        Future<Channel> conn = connect();
        java.util.concurrent.Future<?> wait = null;
        if (!conn.isDone()) {
            // the wait for a connection (and its authentication) counts against the timeout too
            wait = group.schedule(() -> reply.completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, name
                    + ": no authenticated connection to " + remote + " within " + timeout.toMillis() + " ms")),
                    timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        java.util.concurrent.Future<?> connectWait = wait;
        conn.addListener(f -> {
            if (connectWait != null) {
                connectWait.cancel(false); // from here the call's own reply timeout runs
            }
            if (reply.isDone()) { // waited too long for the connection
                release(request);
                return;
            }
            if (!f.isSuccess()) {
                release(request);
                if (!(f.cause() instanceof CfsException) && !refused(f.cause())) {
                    presumeUnreachable(new CfsException(ErrorCode.UNAVAILABLE, "cannot connect to " + remote + ": "
                            + f.cause().getMessage(), f.cause()));
                }
                reply.completeExceptionally(f.cause() instanceof CfsException c ? c
                        : new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot connect to " + remote + ": "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            send(conn.getNow(), request, call);
        });
        return reply;
    }

    private CompletableFuture<Message> send(Channel ch, Message request) {
        Call call = new Call();
        send(ch, request, call);
        return call.reply;
    }

    /** Sends a request on an authenticated channel, failing it with UNAVAILABLE if no reply comes in time. */
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

    /** The authenticated connection, opening a new one if there is none (or it is lost or retired). */
    private Future<Channel> connect() {
        Future<Channel> c = connection;
        if (usable(c)) {
            return c;
        }
        synchronized (connectLock) {
            c = connection;
            if (!usable(c)) {
                c = newConnection();
                connection = c;
            }
            return c;
        }
    }

    /** Connects and authenticates; the greeting, if any, is the first request on the new connection. */
    private Future<Channel> newConnection() {
        // listeners run in the order they were added, on the thread that completes it (the
        // channel's event loop) or, once complete, at once: requests keep their order
        Promise<Channel> ready = ImmediateEventExecutor.INSTANCE.newPromise();
        ChannelFuture connecting = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ChannelPipeline p = ch.pipeline();
                p.addLast("liveness", new Liveness());
                credentials.clientTls().ifPresent(tls -> p.addLast("tls",
                        tls.newHandler(ch.alloc(), remote.getHostString(), remote.getPort())));
                MessageCodec.install(p);
                long idle = Math.max(1, credentials.idleTimeout().toMillis() / 2);
                p.addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS) {
                    @Override
                    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent e) {
                        retire(ctx.channel());
                    }
                });
                p.addLast("auth", new ClientAuthenticator(ready));
                p.addLast("replies", new ReplyHandler());
            }
        }).connect(remote);
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
            }
        });
        return ready;
    }

    private static boolean usable(Future<Channel> c) {
        if (c == null) {
            return false;
        }
        if (!c.isDone()) {
            return true;
        }
        Channel ch = c.getNow();
        return c.isSuccess() && ch.isActive() && ch.attr(RETIRED).get() == null;
    }

    /**
     * Takes an idle connection out of use (the next call opens a new one) and closes it once no call
     * is in flight on it; the short grace lets a call that picked it just before go out and complete.
     */
    private void retire(Channel ch) {
        if (ch.attr(RETIRED).setIfAbsent(Boolean.TRUE) != null) {
            return;
        }
        long grace = Math.max(1, Math.min(1000, credentials.idleTimeout().toMillis() / 4));
        ch.eventLoop().schedule(() -> closeWhenUnused(ch, grace), grace, TimeUnit.MILLISECONDS);
    }

    private void closeWhenUnused(Channel ch, long recheckMillis) {
        if (pending.values().stream().anyMatch(call -> call.channel == ch)) {
            ch.eventLoop().schedule(() -> closeWhenUnused(ch, recheckMillis), recheckMillis, TimeUnit.MILLISECONDS);
        } else {
            ch.close();
        }
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
        Future<Channel> c = newConnection();
        c.addListener(f -> {
            synchronized (connectLock) {
                if (closed) {
                    probing = false;
                    if (f.isSuccess()) {
                        c.getNow().close();
                    }
                    return;
                }
                // reachable: connected, refused by the host, or refused by the daemon (not a handshake timeout)
                if (f.isSuccess() || refused(f.cause())
                        || (f.cause() instanceof CfsException refusal && refusal.code() != ErrorCode.UNAVAILABLE)) {
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
        Future<Channel> c = connection;
        if (c != null) {
            c.cancel(false);
            if (c.isSuccess()) {
                c.getNow().close();
            }
        }
        for (Long id : pending.keySet()) {
            fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": client closed"));
        }
    }

    /**
     * The client's side of the {@link Handshake}: answers the challenge, checks the server's proof,
     * sends the greeting and then lets the waiting requests go ({@code ready}).
     */
    private final class ClientAuthenticator extends ChannelInboundHandlerAdapter {
        private final Promise<Channel> ready;
        private byte[] clientNonce;
        private byte[] serverNonce;

        ClientAuthenticator(Promise<Channel> ready) {
            this.ready = ready;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // calls waiting for it fail after their own timeout; a slow daemon may take longer
            long ms = Math.max(timeout.toMillis(), credentials.handshakeTimeout().toMillis());
            var timer = ctx.executor().schedule(() -> refuse(ctx, new CfsException(ErrorCode.UNAVAILABLE, name
                    + ": " + remote + " did not complete the authentication within " + ms + " ms")),
                    ms, TimeUnit.MILLISECONDS);
            ready.addListener(f -> timer.cancel(false));
            if (ready.isCancelled()) {
                ctx.close();
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Envelope e = (Envelope) msg;
            Message m = e.message();
            if (m instanceof AuthChallenge c && clientNonce == null) {
                serverNonce = c.serverNonce();
                clientNonce = Handshake.nonce();
                ctx.writeAndFlush(new Envelope(0, new AuthResponse(clientNonce,
                        Handshake.clientProof(credentials.secret(), serverNonce, clientNonce))));
            } else if (m instanceof AuthAccepted a && clientNonce != null) {
                if (!Handshake.matches(Handshake.serverProof(credentials.secret(), serverNonce, clientNonce), a.proof())) {
                    refuse(ctx, new CfsException(ErrorCode.AUTHENTICATION_FAILED, name + ": " + remote
                            + " does not hold this cluster's secret (its proof is wrong): expected a daemon of the"
                            + " cluster whose secret file the topology names"));
                    return;
                }
                ctx.pipeline().remove(this);
                Supplier<Message> hello = greeting;
                if (hello != null) {
                    greetingReply.accept(send(ctx.channel(), hello.get()));
                }
                if (!ready.trySuccess(ctx.channel())) {
                    ctx.close(); // the client was closed meanwhile
                }
            } else if (m instanceof ErrorReply r) {
                refuse(ctx, new CfsException(r.code(), name + ": " + remote + " refused the connection: " + r.detail()));
            } else {
                release(m);
                refuse(ctx, new CfsException(ErrorCode.AUTHENTICATION_FAILED, name + ": " + remote + " sent "
                        + m.opcode() + " instead of completing the authentication: expected a CFS daemon"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            refuse(ctx, new CfsException(ErrorCode.UNAVAILABLE, name + ": connection to " + remote
                    + " failed during the authentication: " + cause.getMessage(), cause));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pushes.disconnected();
            ready.tryFailure(new CfsException(ErrorCode.UNAVAILABLE, name + ": " + remote
                    + " closed the connection during the authentication (is it a daemon of this cluster, with the"
                    + " same secret and TLS settings?)"));
            ctx.fireChannelInactive();
        }

        private void refuse(ChannelHandlerContext ctx, CfsException why) {
            ready.tryFailure(why);
            ctx.close();
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
            pushes.disconnected();
            if (check != null) {
                check.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        private void check(Channel ch) {
            long now = System.nanoTime();
            var out = ch.unsafe().outboundBuffer();
            long outbound = out == null ? 0 : out.totalPendingWriteBytes();
            // calls go out only once the connection is authenticated: the handshake has its own timeout
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
            if (envelope.requestId() == 0) { // requests are numbered from 1: sent unasked
                Future<Channel> now = connection;
                pushes.pushed(envelope.message(), now != null && now.isDone() && now.getNow() == ctx.channel());
                pushes.heard();
                return;
            }
            pushes.heard();
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
            pushes.disconnected();
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
