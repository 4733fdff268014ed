package io.cfs.protocol;

import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The one codec of CFS. A frame is {@code i32 length | u16 opcode | i64 requestId | body}, where
 * {@code length} counts the bytes after itself and is at most {@link #MAX_FRAME}. Bodies are laid
 * out as each message's Javadoc says; block data travels as the tail of the frame without a copy.
 * A frame that does not decode exactly (unknown opcode, short or long body, bad field) raises
 * {@link CorruptedFrameException}; the RPC handlers close that connection only.
 */
public final class MessageCodec extends MessageToMessageCodec<ByteBuf, Envelope> {
    /** Largest frame after the length field: 4 MiB of data plus headers. */
    public static final int MAX_FRAME = (4 << 20) + 4096;
    /** Largest data a single read or write may carry. */
    public static final int MAX_DATA = 4 << 20;
    static final int HEADER = 2 + 8;

    /** Adds the framing and the codec to a pipeline. */
    public static void install(ChannelPipeline pipeline) {
        install(pipeline, MAX_FRAME);
    }

    /**
     * Adds the framing and the codec, reading frames of at most {@code maxFrame} bytes (after the
     * length field) until {@link #allowFullFrames} (a server reads small frames only until the
     * client is authenticated, so an unknown peer cannot make it buffer megabytes).
     */
    public static void install(ChannelPipeline pipeline, int maxFrame) {
        pipeline.addLast("frame", new FrameDecoder(maxFrame));
        pipeline.addLast("codec", new MessageCodec());
    }

    /** Lets the framing of a pipeline read frames up to {@link #MAX_FRAME}. */
    public static void allowFullFrames(ChannelPipeline pipeline) {
        pipeline.get(FrameDecoder.class).limit = MAX_FRAME;
    }

    /** The length-field framing with a limit that can be raised. */
    private static final class FrameDecoder extends LengthFieldBasedFrameDecoder {
        private volatile int limit;

        FrameDecoder(int limit) {
            // Netty counts the length field itself against its limit
            super(MAX_FRAME + 4, 0, 4, 0, 4);
            this.limit = limit;
            // a frame of data spans many socket reads: gathered as they came, not copied into an ever
            // larger buffer (and a frame larger than the allocator's chunks would be allocated unpooled)
            setCumulator(COMPOSITE_CUMULATOR);
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            int max = limit;
            if (max < MAX_FRAME && in.readableBytes() >= 4 && in.getUnsignedInt(in.readerIndex()) > max) {
                long n = in.getUnsignedInt(in.readerIndex());
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("frame of " + n + " bytes: expected at most " + max
                        + " before authentication");
            }
            return super.decode(ctx, in);
        }
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope envelope, List<Object> out) {
        Message message = envelope.message();
        ByteBuf data = message instanceof DataMessage d ? d.data() : null;
        ByteBuf header = ctx.alloc().ioBuffer(64);
        try {
            header.writeInt(0);
            header.writeShort(message.opcode().code());
            header.writeLong(envelope.requestId());
            message.encode(header);
            long length = header.readableBytes() - 4L + (data == null ? 0 : data.readableBytes());
            if (length > MAX_FRAME) {
                throw new IllegalArgumentException(message.opcode() + " frame of " + length
                        + " bytes: expected at most " + MAX_FRAME);
            }
            header.setInt(0, (int) length);
        } catch (RuntimeException e) {
            header.release();
            ReferenceCountUtil.release(data);
            throw e;
        }
        out.add(header);
        if (data != null) {
            out.add(data);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(decodeFrame(frame));
    }

    /** Decodes one frame (without its length field). */
    public static Envelope decodeFrame(ByteBuf frame) {
        Message message;
        long requestId;
        try {
            if (frame.readableBytes() < HEADER) {
                throw new CorruptedFrameException("frame of " + frame.readableBytes()
                        + " bytes: expected at least " + HEADER);
            }
            Opcode opcode = Opcode.of(frame.readUnsignedShort());
            requestId = frame.readLong();
            message = opcode.decode(frame);
        } catch (CorruptedFrameException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptedFrameException("malformed body: " + e, e);
        }
        if (frame.isReadable()) {
            int left = frame.readableBytes();
            ReferenceCountUtil.release(message instanceof DataMessage d ? d.data() : null);
            throw new CorruptedFrameException(message.opcode() + " body has " + left + " bytes too many");
        }
        return new Envelope(requestId, message);
    }
}
