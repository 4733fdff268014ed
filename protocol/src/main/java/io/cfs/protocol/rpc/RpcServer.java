package io.cfs.protocol.rpc;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.ErrorReply;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.PingRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DecoderException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CFS server endpoint: accepts connections, decodes requests, hands them to a {@link
 * RequestHandler} and writes the replies, pipelined by request id. A malformed frame closes that
 * one connection and is logged once. PING is answered here, at once, whatever the handler is doing.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

    private final String name;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    private RpcServer(String name, EventLoopGroup boss, EventLoopGroup workers, Channel channel) {
        this.name = name;
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
    }

    /** Binds {@code address} (port 0 picks a free port) and starts serving. */
    public static RpcServer start(String name, InetSocketAddress address, int ioThreads, RequestHandler handler)
            throws InterruptedException {
        EventLoopGroup boss = Transport.newEventLoopGroup(name + "-accept", 1);
        EventLoopGroup workers = Transport.newEventLoopGroup(name + "-io", ioThreads);
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                    .childOption(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            MessageCodec.install(ch.pipeline());
                            ch.pipeline().addLast("dispatch", new Dispatcher(name, handler));
                        }
                    })
                    .bind(address).sync().channel();
            return new RpcServer(name, boss, workers, ch);
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
        boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        log.info("{} stopped", name);
    }

    private static final class Dispatcher extends SimpleChannelInboundHandler<Envelope> {
        private final String name;
        private final RequestHandler handler;

        Dispatcher(String name, RequestHandler handler) {
            super(false);
            this.name = name;
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope request) {
            Channel ch = ctx.channel();
            if (request.message() instanceof PingRequest) { // answered here: it tells the connection is alive
                ch.writeAndFlush(new Envelope(request.requestId(), new OkReply()))
                        .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
                return;
            }
            CompletionStage<? extends Message> reply;
            try {
                reply = handler.handle(ch, request.message());
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((message, error) -> {
                Message out = error == null ? message : toError(request, error);
                ch.writeAndFlush(new Envelope(request.requestId(), out))
                        .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
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
            if (cause instanceof DecoderException) {
                log.warn("{}: closing connection from {}: malformed frame: {}", name, ctx.channel().remoteAddress(),
                        cause.getMessage());
            } else {
                log.warn("{}: closing connection from {}: {}", name, ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
        }
    }
}
