package io.cfs.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Test helpers that build and read frames independently of the code under test. */
public final class Frames {
    private Frames() {}

    /** A channel with the framing and the codec, as RPC endpoints have. */
    public static EmbeddedChannel codecChannel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MessageCodec.install(ch.pipeline());
        return ch;
    }

    /** Writes a string as the protocol documents it: u16 byte length, then UTF-8. */
    public static void str(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.writeBytes(b);
    }

    /** The bytes of a whole frame {@code i32 length | u16 opcode | i64 requestId | body}, built by hand. */
    public static byte[] frameBytes(int opcode, long requestId, Consumer<ByteBuf> body) {
        ByteBuf b = Unpooled.buffer();
        try {
            b.writeInt(0);
            b.writeShort(opcode);
            b.writeLong(requestId);
            body.accept(b);
            b.setInt(0, b.readableBytes() - 4);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** A (leak-tracked) buffer holding a hand-built frame. */
    public static ByteBuf frame(int opcode, long requestId, Consumer<ByteBuf> body) {
        return tracked(frameBytes(opcode, requestId, body));
    }

    /** Copies bytes into a buffer from the default allocator, so that paranoid leak detection tracks it. */
    public static ByteBuf tracked(byte[] bytes) {
        ByteBuf b = io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(Math.max(1, bytes.length));
        b.writeBytes(bytes);
        return b;
    }

    /**
     * Encodes an envelope through {@link MessageCodec} on an outbound channel and returns the bytes
     * written. The envelope's data (if any) is owned by the channel from then on; this checks that
     * the channel wrote it without copying and released it.
     */
    public static byte[] encode(Envelope envelope) {
        ByteBuf data = envelope.message() instanceof DataMessage d ? d.data() : null;
        EmbeddedChannel out = codecChannel();
        assertTrue(out.writeOutbound(envelope), "the codec wrote nothing");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<ByteBuf> written = new ArrayList<>();
        for (Object o; (o = out.readOutbound()) != null; ) {
            ByteBuf b = assertInstanceOf(ByteBuf.class, o);
            written.add(b);
            bytes.writeBytes(ByteBufUtil.getBytes(b));
        }
        if (data != null) {
            assertTrue(written.stream().anyMatch(b -> b == data), "the data buffer should be written as is (no copy)");
        }
        written.forEach(ReferenceCountUtil::release);
        if (data != null) {
            assertEquals(0, data.refCnt(), "data buffer still referenced after the write");
        }
        assertFalse(out.finish(), "left-over messages in the outbound channel");
        return bytes.toByteArray();
    }

    /**
     * Feeds chunks to a fresh inbound channel and returns every envelope decoded, in order. The
     * chunks are owned by the channel; decoded data may still share them until it is released.
     */
    public static List<Envelope> decode(List<ByteBuf> chunks) {
        EmbeddedChannel in = codecChannel();
        for (ByteBuf chunk : chunks) {
            in.writeInbound(chunk);
        }
        List<Envelope> envelopes = new ArrayList<>();
        for (Object o; (o = in.readInbound()) != null; ) {
            envelopes.add(assertInstanceOf(Envelope.class, o));
        }
        assertFalse(in.finish(), "left-over messages in the inbound channel");
        return envelopes;
    }

    /** Asserts that buffers handed to a channel were all released. */
    public static void assertReleased(List<ByteBuf> buffers) {
        for (int i = 0; i < buffers.size(); i++) {
            assertEquals(0, buffers.get(i).refCnt(), "buffer " + i + " of " + buffers.size() + " was not released");
        }
    }

    /**
     * Releases the data of a message, if it has any. (A decoded data buffer may be a slice sharing
     * the reference count of the input, so callers check that the input is released in the end.)
     */
    public static void release(Message m) {
        if (m instanceof DataMessage d) {
            assertTrue(d.data().refCnt() > 0, "data buffer released already");
            d.data().release();
        }
    }

    /**
     * Compares two messages field by field (record components); a {@link ByteBuf} component is
     * compared by its readable bytes.
     */
    public static void assertSameMessage(Message expected, Message actual) {
        assertEquals(expected.getClass(), actual.getClass(), "message type");
        assertEquals(expected.opcode(), actual.opcode(), "opcode");
        for (RecordComponent c : expected.getClass().getRecordComponents()) {
            Object e;
            Object a;
            try {
                e = c.getAccessor().invoke(expected);
                a = c.getAccessor().invoke(actual);
            } catch (ReflectiveOperationException ex) {
                throw new AssertionError(ex);
            }
            if (e instanceof byte[] eb) {
                assertArrayEquals(eb, (byte[]) a, expected.opcode() + "." + c.getName());
            } else if (e instanceof ByteBuf eb) {
                assertArrayEquals(ByteBufUtil.getBytes(eb), ByteBufUtil.getBytes((ByteBuf) a),
                        expected.opcode() + "." + c.getName());
            } else {
                assertEquals(e, a, expected.opcode() + "." + c.getName());
            }
        }
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
