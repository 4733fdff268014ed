package io.cfs.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every admin command answers --help with every option and its default. */
class HelpTest {
    /** Every command of {@code cfs} (the admin part): the root and each subcommand. */
    static List<CommandLine> commands() {
        CommandLine root = new CommandLine(new AdminMain());
        List<CommandLine> all = new ArrayList<>(List.of(root));
        all.addAll(root.getSubcommands().values());
        return all;
    }

    @Test
    void theSubcommandsAreTheOnesScriptsCfsNames() {
        assertEquals(List.of("status", "locate", "set-pair", "scrub"),
                List.copyOf(new CommandLine(new AdminMain()).getSubcommands().keySet()));
    }

    @Test
    void everyCommandHasHelpAndShowsDefaults() {
        for (CommandLine c : commands()) {
            CommandSpec spec = c.getCommandSpec();
            assertTrue(spec.mixinStandardHelpOptions(), spec.qualifiedName() + ": mixinStandardHelpOptions");
            assertTrue(spec.usageMessage().showDefaultValues(), spec.qualifiedName() + ": showDefaultValues");
            StringWriter version = new StringWriter();
            c.setOut(new PrintWriter(version));
            assertEquals(0, c.execute("--version"));
            assertTrue(version.toString().startsWith("CFS "), spec.qualifiedName() + " --version: " + version);
        }
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndExitsZero() {
        for (CommandLine c : commands()) {
            String name = c.getCommandSpec().qualifiedName();
            StringWriter text = new StringWriter();
            c.setOut(new PrintWriter(text));
            assertEquals(0, c.execute("--help"), name + " --help");
            String help = text.toString();
            assertHelpNamesEveryOption(c.getCommandSpec(), help);
        }
    }

    /**
     * Each option appears in the help; one that takes a value shows its default ("Default: X"), or
     * says in its description what happens without it, or is required.
     */
    static void assertHelpNamesEveryOption(CommandSpec spec, String help) {
        String name = spec.qualifiedName();
        for (OptionSpec o : spec.options()) {
            assertTrue(help.contains(o.longestName()), name + ": " + o.longestName() + " in\n" + help);
            if (o.usageHelp() || o.versionHelp() || o.arity().max() == 0 || o.required()) {
                continue;
            }
            String description = String.join(" ", o.description());
            boolean shown = o.defaultValue() != null && help.contains("Default: " + o.defaultValue());
            assertTrue(shown || description.contains("default"),
                    name + ": " + o.longestName() + " neither shows nor describes its default in\n" + help);
        }
    }
}
