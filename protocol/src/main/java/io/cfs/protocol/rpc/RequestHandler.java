package io.cfs.protocol.rpc;

import io.cfs.protocol.message.Message;
import io.netty.channel.Channel;
import java.util.concurrent.CompletionStage;

/**
 * What a server does with each request. It may answer at once or later (a completed or pending
 * stage); a failure with {@link io.cfs.protocol.CfsException} becomes an error reply with its
 * code, any other failure an INTERNAL error. A request carrying data must be released by the
 * handler. The channel identifies the connection (a client session is tied to it).
 */
@FunctionalInterface
public interface RequestHandler {
    CompletionStage<? extends Message> handle(Channel channel, Message request);
}
