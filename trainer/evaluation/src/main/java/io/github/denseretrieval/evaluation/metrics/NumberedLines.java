package io.github.denseretrieval.evaluation.metrics;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a UTF-8 text file line by line with 1-based line numbers, skipping blank lines, so that
 * every reader of the line-oriented formats here (BEIR jsonl, qrels TSV, TREC runs) reports a
 * bad line the same way: file and line number.
 */
public final class NumberedLines {

    /** What to do with one non-blank line. */
    @FunctionalInterface
    public interface LineConsumer {
        void accept(String line, int number) throws IOException;
    }

    private NumberedLines() {}

    public static void forEach(Path file, LineConsumer consumer) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    consumer.accept(line, number);
                }
            }
        }
    }
}
