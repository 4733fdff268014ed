package io.cfs.protocol;

import static io.cfs.protocol.Frames.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.Samples.Sample;
import io.cfs.protocol.message.FileAttr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every malformed frame raises a DecoderException from the channel and leaks nothing. */
@ExtendWith(LeakCheck.class)
class MalformedFrameTest {

    /** Feeds bytes to a fresh inbound channel, expects a DecoderException, and checks nothing is left or leaked. */
    static DecoderException rejects(byte[] bytes) {
        EmbeddedChannel in = Frames.codecChannel();
        ByteBuf input = Frames.tracked(bytes);
        DecoderException e = assertThrows(DecoderException.class, () -> in.writeInbound(input),
                "accepted a malformed frame");
        assertEquals(0, input.refCnt(), "the malformed input was not released");
        assertNull(in.readInbound(), "a malformed frame produced a message");
        assertFalse(in.finish());
        return e;
    }

    static CorruptedFrameException corrupted(byte[] bytes, String expectedInMessage) {
        CorruptedFrameException e = assertInstanceOf(CorruptedFrameException.class, rejects(bytes));
        assertTrue(String.valueOf(e.getMessage()).contains(expectedInMessage),
                "message '" + e.getMessage() + "' should mention '" + expectedInMessage + "'");
        return e;
    }

    static byte[] frame(int opcode, Consumer<ByteBuf> body) {
        return Frames.frameBytes(opcode, 1, body);
    }

    /** The documented body of a sample without its data (the part a truncation can break). */
    static byte[] fixedBody(Sample s) {
        ByteBuf b = Unpooled.buffer();
        s.body().accept(b);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        return bytes;
    }

    static Stream<Sample> samples() {
        return Samples.all().stream();
    }

    static Stream<Sample> samplesWithoutData() {
        return Samples.all().stream().filter(s -> s.data().length == 0 && !isDataOpcode(s.opcode()));
    }

    static boolean isDataOpcode(Opcode op) {
        return op == Opcode.DATA || op == Opcode.WRITE_DATA || op == Opcode.REPLICA_WRITE;
    }

    @ParameterizedTest(name = "0x{0}")
    @ValueSource(ints = {0x0000, 0x0007, 0x0100, 0x011D, 0x01FF, 0x020B, 0x0306, 0x03FF, 0x0400, 0x040B, 0x8001, 0xFFFF})
    void unknownOpcode(int code) {
        corrupted(frame(code, b -> b.writeLong(5)), "unknown opcode 0x" + Integer.toHexString(code));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyTruncationOfTheFixedBodyIsRejected(Sample s) {
        byte[] body = fixedBody(s);
        if (body.length > 300) {
            body = Arrays.copyOf(body, 300); // long strings: the first cuts are enough
        }
        for (int cut = 0; cut < body.length; cut++) {
            byte[] prefix = Arrays.copyOf(body, cut);
            DecoderException e = rejects(frame(s.opcode().code(), b -> b.writeBytes(prefix)));
            assertInstanceOf(CorruptedFrameException.class, e, "body cut to " + cut + " bytes");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samplesWithoutData")
    void trailingBytesAreRejected(Sample s) {
        byte[] body = fixedBody(s);
        corrupted(frame(s.opcode().code(), b -> {
            b.writeBytes(body);
            b.writeByte(0);
        }), s.opcode() + " body has 1 bytes too many");
        corrupted(frame(s.opcode().code(), b -> {
            b.writeBytes(body);
            b.writeLong(0);
        }), s.opcode() + " body has 8 bytes too many");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 9})
    void frameShorterThanTheHeader(int length) {
        byte[] bytes = ByteBuffer.allocate(4 + length).putInt(length).array();
        corrupted(bytes, "frame of " + length + " bytes: expected at least 10");
    }

    @ParameterizedTest
    @ValueSource(ints = {MessageCodec.MAX_FRAME + 1, MessageCodec.MAX_FRAME + 5, 64 << 20, Integer.MAX_VALUE})
    void lengthAboveMaxFrame(int length) {
        // Only the header is sent: the length alone must be refused, without waiting for the rest.
        byte[] bytes = ByteBuffer.allocate(14).putInt(length).putShort((short) 0x0202).putLong(1).array();
        DecoderException e = rejects(bytes);
        assertInstanceOf(TooLongFrameException.class, e);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, Integer.MIN_VALUE})
    void negativeLength(int length) {
        // The length field is read unsigned, so a "negative" length is simply far too long.
        byte[] bytes = ByteBuffer.allocate(14).putInt(length).putShort((short) 0x0001).putLong(1).array();
        assertInstanceOf(TooLongFrameException.class, rejects(bytes));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, -100, Integer.MIN_VALUE})
    void negativeCountInAList(int count) {
        corrupted(frame(Opcode.READ_DIR_REPLY.code(), b -> {
            b.writeInt(count);
            b.writeByte(0);
        }), "count " + count);
        corrupted(frame(Opcode.LAYOUT.code(), b -> b.writeInt(count)), "count " + count);
        corrupted(frame(Opcode.OPEN_REPLY.code(), b -> {
            b.writeLong(1);
            Samples.attr(b, Samples.ATTR);
            str(b, "p1");
            b.writeInt(0);
            b.writeInt(count);
        }), "count " + count);
    }

    @Test
    void countLargerThanTheFrameCanHold() {
        // A huge count must be refused before anything is allocated for it.
        corrupted(frame(Opcode.LAYOUT.code(), b -> b.writeInt(Integer.MAX_VALUE)), "count " + Integer.MAX_VALUE);
        corrupted(frame(Opcode.READ_DIR_REPLY.code(), b -> {
            b.writeInt(2);
            str(b, "a");
            b.writeLong(2);
            b.writeByte(1);
            b.writeByte(0);
        }), "count 2");
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"V1", "1v", "v 1", "v1:x", "-v", "é", "v\u0000"})
    void invalidIdString(String id) {
        String quoted = "'" + id + "'";
        corrupted(frame(Opcode.FLUSH.code(), b -> str(b, id)), quoted);
        corrupted(frame(Opcode.VOLUME_INFO.code(), b -> str(b, id)), quoted);
        corrupted(frame(Opcode.READ_DATA.code(), b -> {
            str(b, id);
            b.writeLong(0);
            b.writeInt(4096);
        }), quoted);
        corrupted(frame(Opcode.WRITE_DATA.code(), b -> {
            str(b, id);
            b.writeLong(0);
            b.writeBytes(new byte[100]);
        }), quoted);
        corrupted(frame(Opcode.REPLICA_WRITE.code(), b -> {
            str(b, id);
            b.writeLong(0);
            b.writeBytes(new byte[100]);
        }), quoted);
        corrupted(frame(Opcode.INVALIDATE.code(), b -> {
            str(b, id);
            b.writeLong(0);
            b.writeInt(1);
        }), quoted);
        corrupted(frame(Opcode.MIRROR_BITMAP.code(), b -> {
            str(b, id);
            b.writeInt(1);
            b.writeByte(0);
        }), quoted);
        corrupted(frame(Opcode.LAYOUT.code(), b -> {
            b.writeInt(1);
            b.writeLong(0);
            b.writeLong(4096);
            str(b, id);
            b.writeLong(0);
        }), quoted);
    }

    @Test
    void idOfWrongLength() {
        corrupted(frame(Opcode.FLUSH.code(), b -> str(b, "")), "expected 1..32 characters");
        corrupted(frame(Opcode.FLUSH.code(), b -> str(b, "v".repeat(33))), "expected 1..32 characters");
        corrupted(frame(Opcode.MIRROR_BITMAP.code(), b -> {
            str(b, "p".repeat(300));
            b.writeInt(0);
            b.writeByte(1);
        }), "expected 1..32 characters");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 22, 31, 32, 0x0100, 0xFFFF})
    void invalidErrorCode(int code) {
        corrupted(frame(Opcode.ERROR.code(), b -> {
            b.writeShort(code);
            str(b, "detail");
        }), "unknown error code " + code);
    }

    @Test
    void stringLongerThanWhatIsLeftOrThanMaxString() {
        corrupted(frame(Opcode.LOOKUP.code(), b -> {
            b.writeLong(1);
            b.writeShort(0xFFFF);
            b.writeBytes(new byte[3]);
        }), "string of 65535 bytes");
        corrupted(frame(Opcode.LOOKUP.code(), b -> {
            b.writeLong(1);
            b.writeShort(Wire.MAX_STRING + 1);
            b.writeZero(Wire.MAX_STRING + 1);
        }), "string of " + (Wire.MAX_STRING + 1) + " bytes");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 8, 255})
    void invalidFileType(int type) {
        corrupted(frame(Opcode.READ_DIR_REPLY.code(), b -> {
            b.writeInt(1);
            str(b, "a");
            b.writeLong(2);
            b.writeByte(type);
            b.writeByte(0);
        }), "file type " + type);
        ByteBuf attr = Unpooled.buffer();
        Samples.attr(attr, Samples.ATTR);
        attr.setByte(8, type); // u8 type follows i64 inode
        byte[] attrBytes = new byte[attr.readableBytes()];
        attr.readBytes(attrBytes);
        attr.release();
        assertEquals(FileAttr.BYTES, attrBytes.length);
        corrupted(frame(Opcode.ATTR.code(), b -> b.writeBytes(attrBytes)), "file type " + type);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1_000_000_000, Integer.MIN_VALUE})
    void invalidNanos(int nanos) {
        corrupted(frame(Opcode.COMMIT_WRITE.code(), b -> {
            b.writeLong(7);
            b.writeLong(0);
            b.writeLong(0);
            b.writeInt(nanos);
        }), "nanos " + nanos);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, Integer.MIN_VALUE})
    void negativeLease(int millis) {
        corrupted(frame(Opcode.LEASE.code(), b -> b.writeInt(millis)), "lease of " + millis + " ms");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void leaseRenewalForTheMaster(int member) {
        corrupted(frame(Opcode.RENEW_LEASE.code(), b -> {
            str(b, "p1");
            b.writeInt(member);
        }), "lease renewal for member " + member);
    }

    @Test
    void invalidExtent() {
        long[][] bad = {{0, 0, 0}, {0, -1, 0}, {-1, 4096, 0}, {0, 4096, -4096}};
        for (long[] x : bad) {
            corrupted(frame(Opcode.LAYOUT.code(), b -> {
                b.writeInt(1);
                b.writeLong(x[0]);
                b.writeLong(x[1]);
                str(b, "p1");
                b.writeLong(x[2]);
            }), "extent " + x[0] + "+" + x[1] + "@" + x[2]);
        }
    }

    @Test
    void aGoodFrameAfterABadOneInTheSameBufferStillDecodes() {
        // The decoder resynchronises on frame boundaries: a bad body does not poison the stream.
        byte[] bad = frame(Opcode.GET_ATTR.code(), b -> b.writeInt(1));
        byte[] good = Samples.of(Opcode.CLOSE).get(0).expectedFrame();
        EmbeddedChannel in = Frames.codecChannel();
        ByteBuf input = Frames.tracked(Frames.concat(bad, good));
        assertThrows(CorruptedFrameException.class, () -> in.writeInbound(input));
        assertEquals(Samples.of(Opcode.CLOSE).get(0).envelope(), in.readInbound());
        assertNull(in.readInbound());
        assertFalse(in.finish());
        assertEquals(0, input.refCnt());
    }
}
