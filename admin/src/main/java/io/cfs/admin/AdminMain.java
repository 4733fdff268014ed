package io.cfs.admin;

import io.cfs.protocol.CfsException;
import io.cfs.topology.TopologyException;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cfs status|locate|set-pair|scrub}: the operator's commands, clients of the daemons like any other. */
@Command(name = "cfs", mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = AdminMain.Version.class,
        description = "Administer a CFS cluster.",
        subcommands = {StatusCommand.class, LocateCommand.class, SetPairCommand.class, ScrubCommand.class})
public final class AdminMain implements Runnable {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs one command; returns its exit code. What an operator can fix (a missing or bad topology
     * file, a cluster that does not answer) is one line naming the command, not a stack trace:
     * exit 2 for the topology, 1 for the rest.
     */
    public static int run(String... args) {
        return new CommandLine(new AdminMain()).setExecutionExceptionHandler((e, command, parsed) -> {
            if (!(e instanceof IOException || e instanceof TopologyException || e instanceof CfsException)) {
                throw e;
            }
            command.getErr().println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return e instanceof TopologyException ? 2 : 1;
        }).execute(args);
    }

    /** {@code --version}: the version in the jar's manifest (Maven's project version). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AdminMain.class.getPackage().getImplementationVersion();
            return new String[] {"CFS " + (v != null ? v : "(not built as a jar)")};
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
