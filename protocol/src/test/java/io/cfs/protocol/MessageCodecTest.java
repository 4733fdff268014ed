package io.cfs.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cfs.protocol.Samples.Sample;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(LeakCheck.class)
class MessageCodecTest {

    /** One case per sample, and a failing case for any opcode that has no sample. */
    static Stream<Arguments> samples() {
        return Arrays.stream(Opcode.values()).flatMap(op -> {
            List<Sample> samples = Samples.of(op);
            if (samples.isEmpty()) {
                return Stream.of(Arguments.of(op, null));
            }
            return samples.stream().map(s -> Arguments.of(op, s));
        });
    }

    @Test
    void everyOpcodeHasASampleAndAUniqueCode() {
        for (Opcode op : Opcode.values()) {
            assertFalse(Samples.of(op).isEmpty(), "no sample message for opcode " + op);
            assertSame(op, Opcode.of(op.code()));
            assertTrue(op.code() > 0 && op.code() <= 0xFFFF, op + " does not fit a u16");
        }
        assertEquals(73, FileAttr.BYTES, "FileAttr.BYTES against its documented layout");
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("samples")
    void roundTripMatchesTheDocumentedLayout(Opcode op, Sample sample) {
        if (sample == null) {
            fail("opcode " + op + " has no sample message: add one to Samples");
        }
        Envelope sent = sample.envelope();
        assertEquals(op, sent.message().opcode(), "sample built for the wrong opcode");
        byte[] frame = Frames.encode(sent);

        assertArrayEquals(sample.expectedFrame(), frame, "encoded frame differs from the documented layout");
        assertEquals(frame.length - 4, ByteBuffer.wrap(frame).getInt(), "length field");

        ByteBuf input = Frames.tracked(frame);
        List<Envelope> got = Frames.decode(List.of(input));
        assertEquals(1, got.size());
        Envelope received = got.get(0);
        Message expected = sample.message().get();
        try {
            assertEquals(sample.requestId(), received.requestId());
            Frames.assertSameMessage(expected, received.message());
            if (!(expected instanceof DataMessage)) {
                assertEquals(new Envelope(sample.requestId(), expected), received, "records compare by value");
            }
        } finally {
            Frames.release(received.message());
            Frames.release(expected);
        }
        assertEquals(0, input.refCnt(), "input frame not released once the data was");
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("samples")
    void frameFedOneByteAtATimeStillDecodes(Opcode op, Sample sample) {
        if (sample == null) {
            fail("opcode " + op + " has no sample message: add one to Samples");
        }
        byte[] frame = sample.expectedFrame();
        // one byte at a time is slow under paranoid leak detection: big frames go 64 bytes at a time
        int chunk = frame.length < 2000 ? 1 : 64;
        List<ByteBuf> chunks = new ArrayList<>();
        for (int i = 0; i < frame.length; i += chunk) {
            chunks.add(Frames.tracked(java.util.Arrays.copyOfRange(frame, i, Math.min(frame.length, i + chunk))));
        }
        List<Envelope> got = Frames.decode(chunks);
        assertEquals(1, got.size(), "one frame in " + frame.length + " chunks");
        Message expected = sample.message().get();
        try {
            assertEquals(sample.requestId(), got.get(0).requestId());
            Frames.assertSameMessage(expected, got.get(0).message());
        } finally {
            Frames.release(got.get(0).message());
            Frames.release(expected);
        }
        Frames.assertReleased(chunks);
    }

    @Test
    void partialFrameProducesNothingUntilComplete() {
        byte[] frame = Samples.of(Opcode.LOOKUP).get(0).expectedFrame();
        EmbeddedChannel in = Frames.codecChannel();
        assertFalse(in.writeInbound(Frames.tracked(Arrays.copyOf(frame, 3))), "a partial length field decoded");
        assertFalse(in.writeInbound(Frames.tracked(Arrays.copyOfRange(frame, 3, frame.length - 1))),
                "a frame without its last byte decoded");
        assertTrue(in.writeInbound(Frames.tracked(Arrays.copyOfRange(frame, frame.length - 1, frame.length))));
        Envelope e = in.readInbound();
        assertEquals(new Envelope(Long.MAX_VALUE, new LookupRequest(42, "movie.mp4")), e);
        assertFalse(in.finish());
    }

    @Test
    void twoFramesInOneBufferGiveTwoEnvelopes() {
        Sample data = Samples.of(Opcode.WRITE_DATA).get(0);
        Sample lookup = Samples.of(Opcode.LOOKUP).get(0);
        ByteBuf both = Frames.tracked(Frames.concat(data.expectedFrame(), lookup.expectedFrame()));
        List<Envelope> got = Frames.decode(List.of(both));
        assertEquals(2, got.size());
        Message expected = data.message().get();
        try {
            assertEquals(data.requestId(), got.get(0).requestId());
            Frames.assertSameMessage(expected, got.get(0).message());
            assertEquals(lookup.envelope(), got.get(1));
        } finally {
            Frames.release(got.get(0).message());
            Frames.release(expected);
        }
        assertEquals(0, both.refCnt());
    }

    @Test
    void framesSplitAcrossChunkBoundariesDecodeInOrder() {
        byte[] stream = Frames.concat(Samples.of(Opcode.OK).get(0).expectedFrame(),
                Samples.of(Opcode.READ_DIR_REPLY).get(0).expectedFrame(),
                Samples.of(Opcode.ERROR).get(0).expectedFrame());
        int[] cuts = {0, 7, 20, 41, stream.length - 2, stream.length};
        List<ByteBuf> chunks = new ArrayList<>();
        for (int i = 0; i + 1 < cuts.length; i++) {
            chunks.add(Frames.tracked(Arrays.copyOfRange(stream, cuts[i], cuts[i + 1])));
        }
        List<Envelope> got = Frames.decode(chunks);
        assertEquals(List.of(Samples.of(Opcode.OK).get(0).envelope(),
                Samples.of(Opcode.READ_DIR_REPLY).get(0).envelope(),
                Samples.of(Opcode.ERROR).get(0).envelope()), got);
        Frames.assertReleased(chunks);
    }

    @Test
    void largestDataRoundTrips() {
        byte[] data = Samples.pattern(MessageCodec.MAX_DATA);
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(data.length);
        buf.writeBytes(data);
        byte[] frame = Frames.encode(new Envelope(1, new WriteDataRequest(new VolumeId("v1"), 0, buf)));
        List<Envelope> got = Frames.decode(List.of(Frames.tracked(frame)));
        assertEquals(1, got.size());
        WriteDataRequest w = assertInstanceOf(WriteDataRequest.class, got.get(0).message());
        try {
            assertArrayEquals(data, ByteBufUtil.getBytes(w.data()));
        } finally {
            Frames.release(w);
        }
    }

    /** The Javadoc allows {@code length <= MAX_FRAME}, and the encoder sends such frames. */
    @Test
    void frameOfExactlyMaxFrameDecodes() {
        int dataLength = MessageCodec.MAX_FRAME - MessageCodec.HEADER;
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(dataLength);
        buf.writeZero(dataLength);
        byte[] frame = Frames.encode(new Envelope(1, new DataReply(buf)));
        assertEquals(MessageCodec.MAX_FRAME, ByteBuffer.wrap(frame).getInt(), "the encoder accepted this frame");
        ByteBuf input = Frames.tracked(frame);
        try {
            List<Envelope> got = Frames.decode(List.of(input));
            assertEquals(1, got.size());
            DataReply d = assertInstanceOf(DataReply.class, got.get(0).message());
            assertEquals(dataLength, d.data().readableBytes());
            Frames.release(d);
        } finally {
            if (input.refCnt() > 0) {
                input.release(input.refCnt());
            }
        }
    }

    @Test
    void encoderRejectsAFrameAboveMaxFrameAndReleasesTheData() {
        int dataLength = MessageCodec.MAX_FRAME - MessageCodec.HEADER + 1;
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(dataLength);
        buf.writeZero(dataLength);
        EmbeddedChannel out = Frames.codecChannel();
        EncoderException e = assertThrows(EncoderException.class, () -> out.writeOutbound(new Envelope(1, new DataReply(buf))));
        assertTrue(String.valueOf(e.getMessage()).contains("expected at most " + MessageCodec.MAX_FRAME), e.toString());
        assertEquals(0, buf.refCnt(), "the data of a rejected message must be released");
        assertNull(out.readOutbound());
        assertFalse(out.finish());
    }

    @Test
    void encoderRejectsAStringAboveMaxString() {
        EmbeddedChannel out = Frames.codecChannel();
        String name = "é".repeat(Wire.MAX_STRING / 2 + 1); // 2 bytes each in UTF-8
        EncoderException e = assertThrows(EncoderException.class,
                () -> out.writeOutbound(new Envelope(1, new LookupRequest(1, name))));
        assertTrue(String.valueOf(e.getMessage()).contains("expected at most " + Wire.MAX_STRING), e.toString());
        assertNull(out.readOutbound());
        assertFalse(out.finish());
    }

    @Test
    void decodeFrameDecodesABareFrame() {
        byte[] frame = Samples.of(Opcode.CLOSE).get(0).expectedFrame();
        ByteBuf bare = Frames.tracked(Arrays.copyOfRange(frame, 4, frame.length));
        try {
            Envelope e = MessageCodec.decodeFrame(bare);
            assertNotNull(e);
            assertEquals(Samples.of(Opcode.CLOSE).get(0).envelope(), e);
            assertFalse(bare.isReadable());
        } finally {
            bare.release();
        }
    }

    private static void assertNull(Object o) {
        org.junit.jupiter.api.Assertions.assertNull(o, "unexpected output " + o);
    }
}
