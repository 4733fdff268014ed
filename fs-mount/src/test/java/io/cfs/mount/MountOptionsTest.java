package io.cfs.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
    @Test
    void withoutOptionsTheMountGetsCfsDefaultsAndNotAllowOther() {
        MountOptions o = MountOptions.parse(List.of());
        assertEquals(MountOptions.DEFAULTS, o.fuse());
        assertFalse(o.readOnly());
        assertFalse(o.fuse().contains("allow_other"));
        assertFalse(o.fuse().contains("default_permissions"), "one user's mount: CFS checks permissions alone");
        assertEquals(List.of("-o", MountOptions.DEFAULTS_TEXT), o.fuseArguments());
    }

    @Test
    void allowOtherBringsTheKernelsPermissionChecks() {
        assertTrue(MountOptions.parse(List.of("allow_other")).fuse().contains("default_permissions"));
        assertTrue(MountOptions.parse(List.of("allow_root")).fuse().contains("default_permissions"));
        assertEquals(1, MountOptions.parse(List.of("default_permissions,allow_other")).fuse().stream()
                .filter("default_permissions"::equals).count(), "once");
    }

    @Test
    void roIsReadOnlyAndPassedToTheKernelAndTheLastOfRoAndRwWins() {
        MountOptions ro = MountOptions.parse(List.of("allow_other,ro"));
        assertTrue(ro.readOnly());
        assertTrue(ro.fuse().contains("ro"));
        assertTrue(ro.fuse().contains("allow_other"));
        MountOptions rw = MountOptions.parse(List.of("ro", "rw"));
        assertFalse(rw.readOnly());
        assertTrue(rw.fuse().contains("rw"));
        assertFalse(rw.fuse().contains("ro"));
    }

    @Test
    void whatMount8PassesForAnFstabLineIsAccepted() {
        // mount -t fuse.cfs with "defaults,_netdev,allow_other" runs the helper with "-o rw,allow_other,_netdev"
        MountOptions o = MountOptions.parse(List.of("rw,allow_other,_netdev,nofail,x-systemd.automount,noauto,defaults"));
        assertEquals(List.of("_netdev", "nofail", "x-systemd.automount", "noauto", "defaults"), o.dropped());
        List<String> expected = new ArrayList<>(MountOptions.DEFAULTS);
        expected.addAll(List.of("rw", "allow_other", "default_permissions")); // other users: the kernel checks too
        assertEquals(expected, o.fuse());
    }

    @Test
    void aValueReplacesTheDefaultOfTheSameName() {
        MountOptions o = MountOptions.parse(List.of("fsname=video,uid=1000,gid=1000,umask=022,nosuid,nodev"));
        assertTrue(o.fuse().contains("fsname=video"));
        assertFalse(o.fuse().contains("fsname=cfs"));
        assertTrue(o.fuse().containsAll(List.of("uid=1000", "gid=1000", "umask=022", "nosuid", "nodev")));
    }

    @Test
    void unknownOrMalformedOptionsAreRefusedSayingWhatIsExpected() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("allow_other,alow_root")));
        assertTrue(unknown.getMessage().contains("unknown mount option 'alow_root'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("allow_root"), unknown.getMessage());
        IllegalArgumentException noValue = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("uid")));
        assertEquals("mount option 'uid' needs a value: uid=VALUE", noValue.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("ro=1")));
        assertEquals("mount option 'ro=1' takes no value: write ro", value.getMessage());
        // large_read makes a FUSE 2 mount fail with "Invalid argument" (FUSE-NOTES): refused up front
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("large_read")));
    }
}
