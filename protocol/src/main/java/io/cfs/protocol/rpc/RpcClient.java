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

    public RpcClient(String name, InetSocketAddress remote, EventLoopGroup group, Duration timeout) {
        this.name = name;
        this.remote = remote;
        this.timeout = timeout;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 5000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        MessageCodec.install(ch.pipeline());
                        ch.pipeline().addLast("replies", new ReplyHandler());
                    }
                });
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
        long id = ids.incrementAndGet();
        pending.put(id, call);
        ChannelFuture conn = connect();
        conn.addListener(f -> {
            if (!f.isSuccess()) {
                release(request);
                fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot connect to " + remote + ": "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            Channel ch = conn.channel();
            call.channel = ch;
            var timer = ch.eventLoop().schedule(() -> fail(id, new CfsException(ErrorCode.UNAVAILABLE, name
                    + ": no reply from " + remote + " to " + request.opcode() + " within " + timeout.toMillis()
                    + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
            reply.whenComplete((r, e) -> timer.cancel(false));
            ch.writeAndFlush(new Envelope(id, request)).addListener(w -> {
                if (!w.isSuccess()) {
                    fail(id, new CfsException(ErrorCode.UNAVAILABLE, name + ": cannot send to " + remote + ": "
                            + w.cause().getMessage(), w.cause()));
                }
            });
        });
        return reply;
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
