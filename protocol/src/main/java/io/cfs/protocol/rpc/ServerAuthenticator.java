package io.cfs.protocol.rpc;

import io.cfs.protocol.Envelope;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.AuthAccepted;
import io.cfs.protocol.message.AuthChallenge;
import io.cfs.protocol.message.AuthResponse;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.ErrorReply;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of the {@link Handshake}: sends the challenge when the connection is up (after
 * the TLS handshake, with TLS), checks the answer and removes itself once the client is
 * authenticated. Anything else before that (another frame, a malformed one, a wrong proof, no
 * answer in time) closes the connection and is logged once, with the remote address.
 */
final class ServerAuthenticator extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ServerAuthenticator.class);

    private final String name;
    private final ClusterCredentials credentials;
    private byte[] serverNonce;
    private ScheduledFuture<?> timeout;
    private boolean refused;

    ServerAuthenticator(String name, ClusterCredentials credentials) {
        this.name = name;
        this.credentials = credentials;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long ms = credentials.handshakeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> refuse(ctx, "no authentication within " + ms + " ms"),
                ms, TimeUnit.MILLISECONDS);
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            challenge(ctx);
        } else {
            tls.handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    challenge(ctx);
                } else {
                    refuse(ctx, "TLS handshake failed: " + f.cause().getMessage());
                }
            });
        }
        ctx.fireChannelActive();
    }

    private void challenge(ChannelHandlerContext ctx) {
        serverNonce = Handshake.nonce();
        ctx.writeAndFlush(new Envelope(0, new AuthChallenge(serverNonce)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Envelope e) || !(e.message() instanceof AuthResponse r) || serverNonce == null) {
            if (msg instanceof Envelope e && e.message() instanceof DataMessage d) {
                ReferenceCountUtil.release(d.data());
            } else {
                ReferenceCountUtil.release(msg);
            }
            refuse(ctx, "unauthenticated " + (msg instanceof Envelope e ? e.message().opcode() + " request"
                    : msg.getClass().getSimpleName()) + ": expected AUTH_RESPONSE first");
            return;
        }
        byte[] clientNonce = r.clientNonce();
        if (!Handshake.matches(Handshake.clientProof(credentials.secret(), serverNonce, clientNonce), r.proof())) {
            if (!refused) {
                refused = true;
                timeout.cancel(false);
                log.warn("{}: refusing connection from {}: wrong cluster secret", name, ctx.channel().remoteAddress());
                ctx.writeAndFlush(new Envelope(e.requestId(), new ErrorReply(ErrorCode.AUTHENTICATION_FAILED,
                        name + " refused the connection: wrong cluster secret (expected the secret file named"
                                + " on the topology's cluster line)"))).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        timeout.cancel(false);
        MessageCodec.allowFullFrames(ctx.pipeline());
        ctx.writeAndFlush(new Envelope(e.requestId(),
                new AuthAccepted(Handshake.serverProof(credentials.secret(), serverNonce, clientNonce))));
        ctx.pipeline().remove(this);
        log.debug("{}: authenticated {}", name, ctx.channel().remoteAddress());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        refuse(ctx, cause.getMessage() == null ? cause.toString() : cause.getMessage());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        if (refused) {
            return;
        }
        refused = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        log.warn("{}: closing unauthenticated connection from {}: {}", name, ctx.channel().remoteAddress(), why);
        ctx.close();
    }
}
