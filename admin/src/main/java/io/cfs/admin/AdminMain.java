package io.cfs.admin;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cfs status|locate|set-pair|scrub}: the operator's commands, clients of the daemons like any other. */
@Command(name = "cfs", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Administer a CFS cluster.",
        subcommands = {StatusCommand.class, LocateCommand.class, SetPairCommand.class, ScrubCommand.class})
public final class AdminMain implements Runnable {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command; returns its exit code. */
    public static int run(String... args) {
        return new CommandLine(new AdminMain()).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
