package io.cfs.protocol.message;

import io.cfs.protocol.Opcode;
import io.netty.buffer.ByteBuf;

/**
 * Asks whether the connection is alive. Every {@link io.cfs.protocol.rpc.RpcServer} answers it
 * itself, on the connection's event loop, without waiting for disks or other requests: an
 * {@link io.cfs.protocol.rpc.RpcClient} sends it when a connection with calls in flight has been
 * silent for a while, and a connection that stays silent is presumed cut. Reply: {@link OkReply}.
 *
 * <p>Body: {@code empty}.
 */
public record PingRequest() implements Message {
    @Override
    public Opcode opcode() {
        return Opcode.PING;
    }

    @Override
    public void encode(ByteBuf out) {
    }

    public static PingRequest decode(ByteBuf in) {
        return new PingRequest();
    }
}
