package io.cfs.mount.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcGroupsTest {
    @Test
    void theGroupsLineOfAStatusFile(@TempDir Path dir) throws Exception {
        Path status = Files.writeString(dir.resolve("status"),
                "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGroups:\t27 4 1000 4294967294 \nNgid:\t0\n");
        assertArrayEquals(new int[] {-2, 4, 27, 1000}, ProcGroups.read(status));
        assertArrayEquals(new int[0], ProcGroups.parse("\t"), "no supplementary groups");
        assertArrayEquals(new int[0], ProcGroups.read(dir.resolve("gone")), "a process gone has none");
    }

    @Test
    void thisProcessesGroupsAsTheKernelReportsThem() throws Exception {
        ProcGroups mine = new ProcGroups(ProcessHandle.current().pid());
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Groups:")).findFirst().orElseThrow();
        for (int g : ProcGroups.parse(line.substring(7))) {
            assertTrue(mine.test(g), "group " + g);
        }
        assertFalse(mine.test(123_456_789));
    }
}
