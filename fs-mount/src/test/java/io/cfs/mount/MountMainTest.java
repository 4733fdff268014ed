package io.cfs.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class MountMainTest {
    @Test
    void helpListsEveryOptionWithItsDefault() {
        CommandLine c = new CommandLine(new MountMain());
        assertTrue(c.getCommandSpec().mixinStandardHelpOptions());
        assertTrue(c.getCommandSpec().usageMessage().showDefaultValues());
        StringWriter text = new StringWriter();
        c.setOut(new PrintWriter(text));
        assertEquals(0, c.execute("--help"));
        String help = text.toString();
        for (OptionSpec o : c.getCommandSpec().options()) {
            assertTrue(help.contains(o.longestName()), o.longestName() + " in\n" + help);
            if (o.defaultValue() != null) {
                assertTrue(help.contains("Default: " + o.defaultValue()), o.longestName() + "'s default in\n" + help);
            }
        }
        assertTrue(help.contains("this host's name"), "--id's default in\n" + help);
        assertTrue(help.contains("Always on: " + MountOptions.DEFAULTS_TEXT.substring(0, 10)), help);
    }

    @Test
    void anUnknownMountOptionIsRefusedBeforeAnythingIsMounted(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("cluster.conf");
        Files.writeString(conf, String.join("\n",
                "metadata address=127.0.0.1:1 data=meta",
                "storage  ss1 address=127.0.0.1:2 data=ss1",
                "volume   ss1:v1 capacity=64MiB",
                "pair     p1 mode=async master=ss1:v1",
                ""));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, MountMain.run("--config", conf.toString(), "-o", "allow_other,bogus",
                    dir.resolve("mnt").toString()));
        } finally {
            System.setErr(saved);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cfs mount: unknown mount option 'bogus'"), err.toString());
        assertTrue(!Files.exists(dir.resolve("mnt")), "nothing prepared");
    }
}
