package io.github.denseretrieval.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The trainer's command line: {@code train}, {@code mine}, {@code evaluate}, {@code tune-fusion}, {@code export}, {@code bench-encoder}, {@code bench-epoch},
 * {@code check-parity}. Run it with {@code bin/trainer <command> --help}.
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    version = "dense-retrieval trainer 0.1.0",
    description = "Train, evaluate, export and benchmark dense retrieval models (model folders, BEIR data).",
    subcommands = {TrainCommand.class, MineCommand.class, EvaluateCommand.class, TuneFusionCommand.class, ExportCommand.class,
        BenchEncoderCommand.class, BenchEpochCommand.class, CheckParityCommand.class}
)
public final class TrainerCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 usage error. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new TrainerCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Bad input is the user's mistake: say what is wrong, without a stack trace.
            commandLine.getErr().println("error: " + e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }
}
