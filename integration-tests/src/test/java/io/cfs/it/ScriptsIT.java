package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.admin.AdminMain;
import io.cfs.blockstore.BlockStoreMain;
import io.cfs.meta.MetadataServerMain;
import io.cfs.mount.MountMain;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The commands as an operator types them, without a cluster: {@code --help} of {@code scripts/cfs}
 * and of each of its subcommands (run through the script, so the jars and the script's own
 * dispatch are what is tested) lists every option with its default; the other scripts answer
 * {@code --help} with their options; mistakes get a message that says what to do; the scripts'
 * progress function draws a bar on a terminal and plain lines elsewhere.
 */
class ScriptsIT {
    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    /** Each subcommand of scripts/cfs that is a picocli command, with the command it runs. */
    private static Map<String, CommandSpec> picocliSubcommands() {
        Map<String, CommandSpec> all = new LinkedHashMap<>();
        all.put("metadata-server", new CommandLine(new MetadataServerMain()).getCommandSpec());
        all.put("block-store", new CommandLine(BlockStoreMain.class, ScriptsIT::instance).getCommandSpec());
        all.put("mount", new CommandLine(new MountMain()).getCommandSpec());
        new CommandLine(new AdminMain()).getSubcommands().forEach((name, c) -> all.put(name, c.getCommandSpec()));
        return all;
    }

    /** A command object, also of a class whose constructor takes its error stream (BlockStoreMain). */
    private static <K> K instance(Class<K> type) throws Exception {
        try {
            return CommandLine.defaultFactory().create(type);
        } catch (Exception noDefaultConstructor) {
            var constructor = type.getDeclaredConstructor(java.io.PrintWriter.class);
            constructor.setAccessible(true);
            return constructor.newInstance(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        }
    }

    private static Shell.Result run(String... command) throws Exception {
        return Shell.run(TIMEOUT, LocalCluster.HOME, command);
    }

    @Test
    void cfsHelpNamesEverySubcommand() throws Exception {
        Shell.Result help = run(LocalCluster.cfs(), "--help");
        assertEquals(0, help.exitCode(), help.output());
        for (String sub : picocliSubcommands().keySet()) {
            assertTrue(help.output().contains("\n  " + sub + " "), sub + " in\n" + help.output());
        }
        assertTrue(help.output().contains("install-helper"), help.output());
    }

    @Test
    void everySubcommandsHelpListsEveryOptionWithItsDefault() throws Exception {
        for (Map.Entry<String, CommandSpec> e : picocliSubcommands().entrySet()) {
            Shell.Result help = run(LocalCluster.cfs(), e.getKey(), "--help");
            assertEquals(0, help.exitCode(), "cfs " + e.getKey() + " --help:\n" + help.output());
            for (OptionSpec o : e.getValue().options()) {
                assertTrue(help.output().contains(o.longestName()),
                        "cfs " + e.getKey() + " --help lacks " + o.longestName() + ":\n" + help.output());
                if (o.defaultValue() != null && o.showDefaultValue() != CommandLine.Help.Visibility.NEVER) {
                    assertTrue(help.output().contains("Default: " + o.defaultValue()), "cfs " + e.getKey()
                            + " --help lacks the default of " + o.longestName() + ":\n" + help.output());
                }
            }
        }
        Shell.Result install = run(LocalCluster.cfs(), "install-helper", "--help");
        assertEquals(0, install.exitCode(), install.output());
        for (String option : List.of("--dir", "--remove", "--force", "default: /sbin")) {
            assertTrue(install.output().contains(option), option + " in\n" + install.output());
        }
    }

    @Test
    void theOtherScriptsAnswerHelpWithTheirOptionsAndDefaults() throws Exception {
        Map<String, List<String>> expected = Map.of(
                "scripts/local-cluster.sh", List.of("up", "down", "status", "stop", "start", "--dir", "--config",
                        "DIR defaults to ./local-cluster", "scripts/local-cluster.conf"),
                "scripts/bench.sh", List.of("meta", "fio", "--dir", "--files", "--size", "--runtime", "--peers", "--warmup",
                        "Defaults: --dir bench-cluster (beside scripts/) --files 2000 --size 512m --runtime 20"),
                "scripts/test.sh", List.of("MAVEN ARGUMENTS", "default: none"),
                "scripts/mount.cfs", List.of("-o OPTIONS", "client_id=", "timeout=", "log=", "wait=", "-f", "-v",
                        "(default: 30)", "(default: 60)", "default: the host name", "fuse.cfs", "fstab"));
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            Shell.Result help = run(LocalCluster.HOME.resolve(e.getKey()).toString(), "--help");
            assertEquals(0, help.exitCode(), e.getKey() + " --help:\n" + help.output());
            for (String text : e.getValue()) {
                assertTrue(help.output().contains(text), e.getKey() + " --help lacks '" + text + "':\n" + help.output());
            }
            assertFalse(help.output().contains("set -euo pipefail"), "only the usage: " + help.output());
        }
    }

    @Test
    void mistakesSayWhatToDoNext() throws Exception {
        Shell.Result unknown = run(LocalCluster.cfs(), "stauts");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.output().contains("cfs: unknown command 'stauts'"), unknown.output());
        assertTrue(unknown.output().contains("Run 'cfs COMMAND --help'"), unknown.output());

        Shell.Result noConfig = run(LocalCluster.cfs(), "status", "--config", "/nonexistent/cluster.conf");
        assertEquals(1, noConfig.exitCode(), noConfig.output());
        assertEquals("cfs status: topology file /nonexistent/cluster.conf does not exist: pass --config FILE or set "
                + "CFS_CONFIG\n", noConfig.output());

        Shell.Result badOption = run(LocalCluster.cfs(), "scrub", "--repiar");
        assertEquals(2, badOption.exitCode(), badOption.output());
        assertTrue(badOption.output().contains("Unknown option: '--repiar'"), badOption.output());

        Shell.Result helper = run(LocalCluster.HOME.resolve("scripts/mount.cfs").toString(), "only-one-argument");
        assertEquals(2, helper.exitCode(), helper.output());
        assertTrue(helper.output().contains("expected CONFIG and MOUNTPOINT"), helper.output());

        Shell.Result bench = run(LocalCluster.HOME.resolve("scripts/bench.sh").toString(), "metta");
        assertEquals(2, bench.exitCode(), bench.output());
        assertTrue(bench.output().contains("expected meta, fio, video, balance or memory first, got 'metta'"), bench.output());
    }

    @Test
    void theExampleSystemdUnitsVerify(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(run("sh", "-c", "command -v systemd-analyze").exitCode() == 0,
                "systemd-analyze is not installed here");
        java.nio.file.Path units = LocalCluster.HOME.resolve("packaging/systemd");
        List<String> names = List.of("cfs-metadata.service", "cfs-block-store@.service", "cfs-mount@.service",
                "mnt-cfs.mount");
        for (String name : names) {
            // the units expect the checkout at /opt/cfs: point them at this one, so the commands exist
            java.nio.file.Files.writeString(dir.resolve(name), java.nio.file.Files.readString(units.resolve(name))
                    .replace("/opt/cfs", LocalCluster.HOME.toString()));
        }
        java.nio.file.Files.createSymbolicLink(dir.resolve("cfs-block-store@ss1.service"),
                dir.resolve("cfs-block-store@.service"));
        java.nio.file.Files.createSymbolicLink(dir.resolve("cfs-mount@mnt-cfs.service"), dir.resolve("cfs-mount@.service"));
        Shell.Result verify = Shell.run(TIMEOUT, dir, "systemd-analyze", "verify", "./cfs-metadata.service",
                "./cfs-block-store@ss1.service", "./cfs-mount@mnt-cfs.service", "./mnt-cfs.mount");
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output(), "systemd-analyze verify warns about nothing");
    }

    /** progress.sh with a clock the test moves: 0 s, then 5, 10 and 40 s after the start. */
    private static String progress(boolean terminal) throws Exception {
        String script = String.join("\n",
                ". " + LocalCluster.HOME.resolve("scripts/lib/progress.sh"),
                "t=0; _progress_now() { echo $t; }",
                "export CFS_PROGRESS_TTY=" + (terminal ? 1 : 0),
                "progress_start fio 8 runs",
                "t=5000; progress_update 1",
                "t=10000; progress_update 2",
                "progress_print 'peer failed'",
                "t=40000; progress_update 8",
                "progress_end");
        Shell.Result r = run("bash", "-c", script);
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void theScriptsProgressIsABarOnATerminalAndPlainLinesElsewhere() throws Exception {
        assertEquals(String.join("\n",
                "fio:   0%  0 / 8 runs  0.0 runs/s  time left unknown",
                "fio:  25%  2 / 8 runs  0.2 runs/s  30 s left",
                "peer failed",
                "fio: 100%  8 / 8 runs  0.2 runs/s  done in 40 s", ""), progress(false));

        String bar = progress(true);
        assertTrue(bar.startsWith("\rfio [------------------------]   0%  0 / 8 runs"), bar);
        assertTrue(bar.contains("\rfio [###---------------------]  12%  1 / 8 runs  0.2 runs/s  35 s left\033[K"), bar);
        assertTrue(bar.contains("\r\033[Kpeer failed\n"), "the line clears the bar: " + bar);
        assertTrue(bar.endsWith("\rfio [########################] 100%  8 / 8 runs  0.2 runs/s  done in 40 s\033[K\n"),
                bar);
        assertEquals(1, bar.chars().filter(ch -> ch == '\n').count() - 1, "one line besides the printed one: " + bar);
    }
}
