package io.cfs.mount.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void everyErrorCodeMapsToANegativeErrno() {
        for (ErrorCode code : ErrorCode.values()) {
            assertTrue(Errno.of(code) < 0, code + " maps to " + Errno.of(code));
        }
    }

    @Test
    void theCommonCodesMapToTheirLinuxErrno() {
        assertEquals(-2, Errno.of(ErrorCode.NOT_FOUND));
        assertEquals(-17, Errno.of(ErrorCode.ALREADY_EXISTS));
        assertEquals(-20, Errno.of(ErrorCode.NOT_A_DIRECTORY));
        assertEquals(-21, Errno.of(ErrorCode.IS_A_DIRECTORY));
        assertEquals(-39, Errno.of(ErrorCode.NOT_EMPTY));
        assertEquals(-28, Errno.of(ErrorCode.NO_SPACE));
        assertEquals(-36, Errno.of(ErrorCode.NAME_TOO_LONG));
        assertEquals(-5, Errno.of(ErrorCode.UNAVAILABLE));
        assertEquals(-1, Errno.of(ErrorCode.PERMISSION_DENIED));
        assertEquals(-9, Errno.of(ErrorCode.BAD_HANDLE));
        assertEquals(-22, Errno.of(ErrorCode.INVALID_ARGUMENT));
        assertEquals(-95, Errno.of(ErrorCode.UNSUPPORTED));
        assertEquals(-27, Errno.of(ErrorCode.FILE_TOO_LARGE));
    }

    @Test
    void theWrapperTurnsFailuresIntoErrnoAndPassesCountsThrough() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        FuseCall call = new FuseCall(meters, false);
        assertEquals(4096, call.run("read", "/f", () -> 4096));
        assertEquals(-2, call.run("getattr", "/f", () -> {
            throw new io.cfs.protocol.CfsException(ErrorCode.NOT_FOUND, "no entry 'f'");
        }));
        assertEquals(-5, call.run("write", "/f", () -> {
            throw new IllegalStateException("bug");
        }));
        assertTrue(call.summary().contains("getattr=1 calls"), call.summary());
        assertEquals(1, meters.get("cfs.fuse.errors").tags("op", "getattr", "errno", "ENOENT").counter().count());
        assertEquals(1, meters.get("cfs.fuse.errors").tags("op", "write", "errno", "EIO").counter().count());
        assertEquals(4096, meters.get("cfs.fuse.bytes").tag("op", "read").counter().count());
        assertEquals(0, meters.get("cfs.fuse.bytes").tag("op", "write").counter().count(), "a failed write moved none");
        assertEquals(1, meters.get("cfs.fuse.requests").tag("op", "write").timer().count());
    }

    @Test
    void errnoNames() {
        assertEquals("ENOENT", Errno.name(2));
        assertEquals("EIO", Errno.name(5));
        assertEquals("errno-4000", Errno.name(4000));
    }
}
