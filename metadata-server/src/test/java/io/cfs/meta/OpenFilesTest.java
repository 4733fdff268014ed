package io.cfs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.topology.PairId;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenFilesTest {
    static final PairId P1 = new PairId("p1");
    final OpenFiles<String> files = new OpenFiles<>(100);

    @Test
    void handlesBelongToTheirSession() {
        OpenFiles.Handle<String> h = files.open("a", 7, P1, 1, true);
        assertEquals(100, h.id());
        assertEquals(h, files.get("a", 100));
        CfsException other = assertThrows(CfsException.class, () -> files.get("b", 100));
        assertEquals(ErrorCode.BAD_HANDLE, other.code());
        assertTrue(other.getMessage().contains("no open handle 100"), other.getMessage());
        assertEquals(ErrorCode.BAD_HANDLE, assertThrows(CfsException.class, () -> files.close("b", 100)).code());
        assertEquals(h, files.close("a", 100));
        assertEquals(ErrorCode.BAD_HANDLE, assertThrows(CfsException.class, () -> files.close("a", 100)).code());
    }

    @Test
    void aFileIsOpenWhileAnyHandleHoldsIt() {
        OpenFiles.Handle<String> first = files.open("a", 7, P1, 0, false);
        OpenFiles.Handle<String> second = files.open("b", 7, P1, 1, false);
        files.open("b", 8, P1, 2, true);
        assertTrue(files.isOpen(7));
        files.close("a", first.id());
        assertTrue(files.isOpen(7));
        List<OpenFiles.Handle<String>> closed = files.closeSession("b");
        assertEquals(2, closed.size());
        assertEquals(second, closed.get(0));
        assertFalse(files.isOpen(7));
        assertFalse(files.isOpen(8));
        assertEquals(0, files.count("b"));
        assertEquals(List.of(), files.closeSession("b"));
    }

    @Test
    void handlesMoveToTheSessionAConnectionBindsToAndCanChangeMember() {
        OpenFiles.Handle<String> a = files.open("conn", 7, P1, 0, false);
        OpenFiles.Handle<String> b = files.open("conn", 8, P1, 1, true);
        files.open("session", 9, P1, 2, false);
        files.transfer("conn", "session");
        assertEquals(0, files.count("conn"));
        assertEquals(3, files.count("session"));
        assertEquals(ErrorCode.BAD_HANDLE, assertThrows(CfsException.class, () -> files.get("conn", a.id())).code());
        assertEquals("session", files.get("session", a.id()).session());
        OpenFiles.Handle<String> moved = files.reassign(b.id(), 2);
        assertEquals(new OpenFiles.Handle<>(b.id(), "session", 8, P1, 2, true), moved);
        assertEquals(moved, files.close("session", b.id()));
        assertEquals(2, files.all().size());
        assertTrue(files.isOpen(7));
        assertFalse(files.isOpen(8));
    }
}
