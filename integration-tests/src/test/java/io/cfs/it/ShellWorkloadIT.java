package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What scripts do on a mount, with real tools on a real cluster: unpack a tarball of a real source
 * tree (this repository's), {@code find} and {@code grep -r} over it, {@code sort} a 45 MB file
 * with its temporary files on the mount, {@code cp -r}, {@code cp -a}, {@code mv}, {@code ln -s},
 * {@code chmod}, {@code rm -rf}, and four processes appending whole lines to one log with O_APPEND.
 * The same script runs on a local folder; its output, and the trees it leaves ({@code diff -r},
 * and kind, mode, owner, size and link target of every entry, mtimes of what tar and cp -a
 * restored), must be the same on CFS.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShellWorkloadIT {
    private static final Duration TOOL = Duration.ofMinutes(4);
    /** Every entry: path, kind, mode, owner, size (not of a directory: that differs between filesystems), link target. */
    private static final String LISTING = "find . -path ./tmp -prune -o \\( -type d -printf '%P %y %m %u:%g\\n' \\)"
            + " -o -printf '%P %y %m %u:%g %s %l\\n' | LC_ALL=C sort";
    /** The mtimes tar and cp -a restore (the others are when each run made the file). */
    private static final String RESTORED_TIMES = "find src copy-a ! -type d -printf '%P %TY-%Tm-%Td %TT\\n' | LC_ALL=C sort";
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("shell").up();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void scriptsGiveTheSameResultsAndLeaveTheSameTreeAsOnALocalFolder() throws Exception {
        Path tarball = sourceTarball();
        Path script = Path.of(ShellWorkloadIT.class.getResource("/workloads/shell.sh").toURI());
        Path local = Files.createDirectories(cluster.dir.resolve("local-shell"));
        Path mounted = Files.createDirectories(cluster.mountPoint.resolve("shell"));

        String expected = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), local.toString(), tarball.toString());
        String actual = Shell.ok(TOOL, cluster.dir, "bash", script.toString(), mounted.toString(), tarball.toString());
        assertTrue(expected.contains("log lines: 1200, well formed: 1200"), expected);
        assertEquals(expected, actual, "the same script's output on a local folder and on CFS");

        Shell.ok(TOOL, cluster.dir, "diff", "-r", "--no-dereference", local.toString(), mounted.toString());
        assertEquals(Shell.ok(TOOL, local, "bash", "-c", LISTING), Shell.ok(TOOL, mounted, "bash", "-c", LISTING),
                "kinds, modes, owners, sizes and link targets, local folder vs CFS");
        assertEquals(Shell.ok(TOOL, local, "bash", "-c", RESTORED_TIMES),
                Shell.ok(TOOL, mounted, "bash", "-c", RESTORED_TIMES), "mtimes restored by tar and cp -a");

        Shell.ok(TOOL, cluster.dir, "rm", "-rf", mounted.toString());
        assertTrue(Files.notExists(mounted), "rm -rf of the whole tree on CFS");
    }

    /**
     * A gzipped tarball of this repository's sources (what a fresh CI checkout has, git or not),
     * with their modes (the scripts are executable) and mtimes.
     */
    private static Path sourceTarball() throws Exception {
        Path tarball = cluster.dir.resolve("sources.tar.gz");
        Shell.ok(TOOL, LocalCluster.HOME, "tar", "-czf", tarball.toString(), "--exclude=target", "--exclude=.git",
                "README.md", "docs", "scripts", "protocol", "metadata-server", "block-store", "fs-mount", "admin",
                "integration-tests");
        return tarball;
    }
}
