package io.cfs.protocol.rpc;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.ErrorReply;
import io.cfs.protocol.message.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One pipelined connection to a CFS daemon. Requests carry ids and many may be in flight; each
 * completes with its reply, with a {@link CfsException} for an error reply, or with UNAVAILABLE
 * when the connection fails or the reply does not come within the timeout, so a caller never
 * hangs. A lost connection is re-established by the next call.
 */
public final class RpcClient implements AutoCloseable {
    private final String name;
    private final InetSocketAddress remote;
    private final Duration timeout;
    private final Bootstrap bootstrap;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Call> pending = new ConcurrentHashMap<>();
    private final Object connectLock = new Object();
    private volatile ChannelFuture connection;
    private volatile boolean closed;
    private volatile Supplier<Message> greeting;
    private volatile Consumer<CompletableFuture<Message>> greetingReply;

    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, Duration timeout) {
        this.name = name;
        this.remote = remote;
        this.timeout = timeout;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 5000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
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
        ChannelFuture conn = connect();
        conn.addListener(f -> {
            if (!f.isSuccess()) {
                release(request);
                reply.completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot connect to "
                        + remote + ": " + f.cause().getMessage(), f.cause()));
                return;
            }
            send(conn, request, call);
        });
        return reply;
    }

    private CompletableFuture<Message> send(ChannelFuture conn, Message request) {
        Call call = new Call();
        send(conn, request, call);
        return call.reply;
    }

    /** Sends a request on a connected channel, failing it with UNAVAILABLE if no reply comes in time. */
    private void send(ChannelFuture conn, Message request, Call call) {
        long id = ids.incrementAndGet();
        pending.put(id, call);
        Channel ch = conn.channel();
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
                c = bootstrap.connect(remote);
                connection = c;
                Supplier<Message> hello = greeting;
                if (hello != null) {
                    // registered before any caller's listener, so it is the first request on the wire
                    ChannelFuture conn = c;
                    conn.addListener(f -> {
                        if (f.isSuccess()) {
                            greetingReply.accept(send(conn, hello.get()));
                        }
                    });
                }
            }
            return c;
        }
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
