package io.cfs.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cfs.protocol.Samples.Sample;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random and mutated frames, each fed (in random chunks) to a fresh channel: the only failure
 * allowed is a DecoderException, nothing may leak, and whatever decodes re-encodes to a frame that
 * decodes to the same message.
 */
@ExtendWith(LeakCheck.class)
class CodecFuzzTest {
    private static final long SEED = 0xCF5_2024L;
    private static final int ITERATIONS = 2000;

    /** Records every message and every exception that leaves the codec. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        final List<Envelope> envelopes = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Envelope e) {
                envelopes.add(e);
            } else {
                errors.add(new AssertionError("the codec emitted a " + msg.getClass().getName()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    @Test
    @Timeout(20)
    void onlyDecoderExceptionsAndNoLeaks() {
        Random rnd = new Random(SEED);
        List<byte[]> valid = new ArrayList<>();
        for (Sample s : Samples.all()) {
            byte[] f = s.expectedFrame();
            if (f.length < 2000) {
                valid.add(f);
            }
        }
        int[] codes = Arrays.stream(Opcode.values()).mapToInt(Opcode::code).toArray();
        int decoded = 0;
        int rejected = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = i % 3 == 0 ? randomFrames(rnd, codes) : mutate(valid.get(rnd.nextInt(valid.size())), rnd);
            Sink sink = new Sink();
            EmbeddedChannel ch = Frames.codecChannel();
            ch.pipeline().addLast(sink);
            List<ByteBuf> chunks = chunks(input, rnd);
            for (ByteBuf c : chunks) {
                ch.writeInbound(c);
            }
            ch.finish();
            for (Throwable t : sink.errors) {
                if (!(t instanceof DecoderException)) {
                    throw new AssertionError("iteration " + i + ": " + t + " escaped for input "
                            + io.netty.buffer.ByteBufUtil.hexDump(input), t);
                }
            }
            rejected += sink.errors.size();
            for (Envelope e : sink.envelopes) {
                decoded++;
                try {
                    checkReencodes(e, i);
                } finally {
                    release(e.message());
                }
            }
            Frames.assertReleased(chunks);
        }
        // The fuzzer must exercise both outcomes, or it tests nothing.
        assertTrue(decoded > ITERATIONS / 10, "only " + decoded + " frames decoded");
        assertTrue(rejected > ITERATIONS / 10, "only " + rejected + " frames rejected");
    }

    /** A decoded message re-encodes to a frame that decodes to an equal message. */
    private static void checkReencodes(Envelope e, int iteration) {
        Message copy = e.message() instanceof DataMessage d ? withCopiedData(d) : e.message();
        byte[] again = Frames.encode(new Envelope(e.requestId(), copy));
        List<Envelope> back = Frames.decode(List.of(Frames.tracked(again)));
        assertEquals(1, back.size(), "iteration " + iteration);
        try {
            assertEquals(e.requestId(), back.get(0).requestId());
            Frames.assertSameMessage(e.message(), back.get(0).message());
        } finally {
            release(back.get(0).message());
        }
    }

    /** The same record with a copy of its data (the encoder consumes the copy; the original stays ours). */
    private static Message withCopiedData(DataMessage m) {
        try {
            RecordComponent[] components = m.getClass().getRecordComponents();
            Object[] values = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                values[i] = components[i].getAccessor().invoke(m);
                if (values[i] instanceof ByteBuf data) {
                    ByteBuf copy = ByteBufAllocator.DEFAULT.buffer(Math.max(1, data.readableBytes()));
                    copy.writeBytes(data, data.readerIndex(), data.readableBytes());
                    values[i] = copy;
                }
            }
            return (Message) m.getClass().getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError(ex);
        }
    }

    private static void release(Message m) {
        if (m instanceof DataMessage d) {
            // Data decoded from one input may share a reference count with other frames of it, so
            // release() need not return true here; the input's count reaching 0 is checked after.
            assertTrue(d.data().refCnt() > 0, "decoded data already released");
            d.data().release();
        }
    }

    /** One to three frames with a correct length field, a real or random opcode and a random body. */
    private static byte[] randomFrames(Random rnd, int[] codes) {
        int n = 1 + rnd.nextInt(3);
        byte[][] frames = new byte[n][];
        for (int f = 0; f < n; f++) {
            int opcode = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : codes[rnd.nextInt(codes.length)];
            byte[] body = new byte[rnd.nextInt(rnd.nextBoolean() ? 16 : 120)];
            rnd.nextBytes(body);
            if (body.length >= 2 && rnd.nextBoolean()) {
                body[0] = 0; // a plausible short string length
                body[1] = (byte) rnd.nextInt(8);
            }
            frames[f] = Frames.frameBytes(opcode, rnd.nextLong(), b -> b.writeBytes(body));
        }
        return Frames.concat(frames);
    }

    /** A valid frame with a few random mutations; the length field is usually kept consistent. */
    private static byte[] mutate(byte[] frame, Random rnd) {
        byte[] b = frame.clone();
        int mutations = 1 + rnd.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            switch (rnd.nextInt(6)) {
                case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[rnd.nextInt(b.length)] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 0x01}[rnd.nextInt(5)];
                case 2 -> b = Arrays.copyOf(b, Math.max(1, b.length - 1 - rnd.nextInt(Math.min(b.length, 12))));
                case 3 -> {
                    int at = rnd.nextInt(b.length + 1);
                    byte[] extra = new byte[1 + rnd.nextInt(8)];
                    rnd.nextBytes(extra);
                    b = Frames.concat(Arrays.copyOf(b, at), extra, Arrays.copyOfRange(b, at, b.length));
                }
                case 4 -> {
                    // a random 32-bit value somewhere in the body (counts, lengths, codes)
                    if (b.length >= 18) {
                        int at = 14 + rnd.nextInt(b.length - 17);
                        ByteBuffer.wrap(b).putInt(at, rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(64) - 8);
                    }
                }
                default -> b = Frames.concat(b, b); // two copies back to back
            }
        }
        if (b.length >= 4 && rnd.nextInt(10) < 8) {
            // Keep the framing right (each copy of a doubled frame keeps its own) so the body decoders are reached.
            int declared = ByteBuffer.wrap(b).getInt(0);
            if (declared != b.length - 4 && declared > b.length) {
                ByteBuffer.wrap(b).putInt(0, b.length - 4);
            }
        }
        return b;
    }

    private static List<ByteBuf> chunks(byte[] input, Random rnd) {
        List<ByteBuf> chunks = new ArrayList<>();
        int at = 0;
        while (at < input.length) {
            int n = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(input.length - at) : input.length - at;
            chunks.add(Frames.tracked(Arrays.copyOfRange(input, at, at + n)));
            at += n;
        }
        if (chunks.isEmpty()) {
            chunks.add(Frames.tracked(new byte[0]));
        }
        return chunks;
    }

    @Test
    void fuzzerInputsAreDeterministic() {
        int[] codes = {1};
        byte[] a = randomFrames(new Random(SEED), codes);
        byte[] b = randomFrames(new Random(SEED), codes);
        assertTrue(Arrays.equals(a, b), "same seed, different frames");
        assertFalse(Arrays.equals(a, randomFrames(new Random(SEED + 1), codes)), "the seed is ignored");
    }

    @Test
    void mutationsChangeTheFrame() {
        byte[] frame = Samples.of(Opcode.LOOKUP).get(0).expectedFrame();
        Random rnd = new Random(SEED);
        int changed = 0;
        for (int i = 0; i < 100; i++) {
            if (!Arrays.equals(frame, mutate(frame, rnd))) {
                changed++;
            }
        }
        if (changed < 90) {
            fail("only " + changed + " of 100 mutations changed the frame");
        }
    }
}
