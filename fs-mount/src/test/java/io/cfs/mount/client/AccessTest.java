package io.cfs.mount.client;

import static io.cfs.mount.client.Access.EXECUTE;
import static io.cfs.mount.client.Access.READ;
import static io.cfs.mount.client.Access.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The permission rules, on attributes alone. */
class AccessTest {
    static final Caller OWNER = Caller.of(100, 100);
    static final Caller MEMBER = Caller.of(200, 200, 50);
    static final Caller OTHER = Caller.of(300, 300);

    static FileAttr file(int mode) {
        return attr(FileType.REGULAR, mode);
    }

    static FileAttr attr(FileType type, int mode) {
        Timespec t = new Timespec(0, 0);
        return new FileAttr(7, type, mode, 1, 100, 50, 0, 0, t, t, t);
    }

    static void refused(ErrorCode code, Executable check) {
        assertEquals(code, assertThrows(CfsException.class, check).code());
    }

    @Test
    void theClassOfTheCallerPicksItsThreeBits() {
        FileAttr f = file(0640);
        assertTrue(Access.allowed(f, OWNER, READ | WRITE));
        assertFalse(Access.allowed(f, OWNER, EXECUTE));
        assertTrue(Access.allowed(f, MEMBER, READ), "a supplementary group counts");
        assertFalse(Access.allowed(f, MEMBER, WRITE));
        assertFalse(Access.allowed(f, OTHER, READ));
        assertTrue(Access.allowed(file(0604), OTHER, READ));
        assertFalse(Access.allowed(file(0064), OWNER, READ), "the owner's bits apply to the owner, not the group's");
        assertTrue(Access.allowed(f, OTHER, 0), "nothing asked: allowed");
    }

    @Test
    void rootPassesAllButExecutingWhatNoOneMay() {
        assertTrue(Access.allowed(file(0), Caller.ROOT, READ | WRITE));
        assertFalse(Access.allowed(file(0644), Caller.ROOT, EXECUTE));
        assertTrue(Access.allowed(file(0010), Caller.ROOT, EXECUTE));
        assertTrue(Access.allowed(attr(FileType.DIRECTORY, 0), Caller.ROOT, EXECUTE), "directories: search");
    }

    @Test
    void openFlagsNeedTheirPermissions() {
        assertEquals(READ, Access.forOpen(0));
        assertEquals(WRITE, Access.forOpen(01));
        assertEquals(READ | WRITE, Access.forOpen(02));
        assertEquals(READ | WRITE, Access.forOpen(03), "as Linux reads O_ACCMODE 3");
        assertEquals(READ | WRITE, Access.forOpen(01000), "O_TRUNC writes");
        assertEquals(EXECUTE, Access.forOpen(040), "the open of an exec needs no read bit");
        assertEquals(WRITE, Access.forOpen(01 | 0100 | 02000), "O_CREAT and O_APPEND add nothing");
    }

    @Test
    void aRefusalIsEaccesAndNamesThePathAndTheMode() {
        CfsException e = assertThrows(CfsException.class, () -> Access.require(file(0600), OTHER, READ, "/v/a.mp4"));
        assertEquals(ErrorCode.ACCESS_DENIED, e.code());
        assertTrue(e.getMessage().contains("/v/a.mp4") && e.getMessage().contains("0600")
                && e.getMessage().contains("uid 300"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Access.allowed(file(0), OTHER, 8));
    }

    @Test
    void onlyTheOwnerChangesTheModeAndKeepsSetGidOnlyInItsGroup() {
        assertEquals(0755, Access.chmod(file(0644), OWNER, 0755, "/f"));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.chmod(file(0666), OTHER, 0777, "/f"));
        assertEquals(02755, Access.chmod(file(0755), Caller.of(100, 100, 50), 02755, "/f"), "in the group");
        assertEquals(0755, Access.chmod(file(0755), Caller.of(100, 100), 02755, "/f"), "not in group 50");
        assertEquals(02755, Access.chmod(file(0755), Caller.ROOT, 02755, "/f"));
        assertEquals(0766, Access.chmod(file(06766), OTHER, 0766, "/f"), "a writer drops set-id bits (kernel's kill-priv)");
        assertEquals(02666, Access.chmod(file(06666), OTHER, 02666, "/f"), "set-uid alone (no group x: sgid stays)");
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.chmod(file(06744), OTHER, 0744, "/f"));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.chmod(file(06766), OTHER, 0767, "/f"));
    }

    @Test
    void chownGivesAwayOnlyAsRootAndRegroupsOnlyToTheOwnersGroups() {
        Access.requireChown(file(0644), Caller.ROOT, 1, 1, "/f");
        Access.requireChown(file(0644), Caller.of(100, 100, 60), -1, 60, "/f");
        Access.requireChown(file(0644), OWNER, 100, 50, "/f"); // to what they are already
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireChown(file(0644), OWNER, 101, -1, "/f"));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireChown(file(0644), OWNER, -1, 61, "/f"));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireChown(file(0666), MEMBER, -1, 50, "/f"));
    }

    @Test
    void timesToNowNeedWriteOthersTheOwner() {
        Access.requireTimes(file(0600), OWNER, false, "/f");
        Access.requireTimes(file(0666), OTHER, true, "/f");
        refused(ErrorCode.ACCESS_DENIED, () -> Access.requireTimes(file(0644), OTHER, true, "/f"));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireTimes(file(0666), OTHER, false, "/f"));
    }

    @Test
    void aStickyDirectoryKeepsEntriesToTheirOwners() {
        FileAttr sticky = attr(FileType.DIRECTORY, 01777);
        FileAttr plain = attr(FileType.DIRECTORY, 0777);
        FileAttr othersFile = file(0666);
        Access.requireRemovable(plain, OTHER, "/t/f", () -> othersFile);
        Access.requireRemovable(sticky, OWNER, "/t/f", () -> othersFile); // the directory's owner
        Access.requireRemovable(sticky, OTHER, "/t/f", () -> null); // nothing there
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireRemovable(sticky, OTHER, "/t/f", () -> othersFile));
        Access.requireRemovable(sticky, OTHER, "/t/f",
                () -> new FileAttr(8, FileType.REGULAR, 0600, 1, 300, 300, 0, 0, othersFile.atime(),
                        othersFile.mtime(), othersFile.ctime()));
    }

    @Test
    void aHardLinkToAnotherUsersFileNeedsReadAndWriteUnderProtectedHardlinks() {
        Access.requireLinkable(file(0666), OTHER, "/f", true);
        Access.requireLinkable(file(0600), OWNER, "/f", true);
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireLinkable(file(0644), OTHER, "/f", true));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireLinkable(file(04666), OTHER, "/f", true));
        refused(ErrorCode.PERMISSION_DENIED, () -> Access.requireLinkable(attr(FileType.FIFO, 0666), OTHER, "/f", true));
        Access.requireLinkable(file(0600), OTHER, "/f", false); // fs.protected_hardlinks = 0
    }
}
