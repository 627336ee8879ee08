package io.github.denseretrieval.it;

import picocli.CommandLine;

import java.io.PrintWriter;

/** Runs a picocli command the way the repository's scripts do. Stateless. */
public final class CommandRunner {

    private CommandRunner() {}

    /**
     * Runs {@code command} with {@code args}; returns the exit code: 0 ok, 1 a failure explained on
     * {@code err} in one line (bad input, a node that will not start; no stack trace), 2 usage.
     */
    public static int run(Object command, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }
}
