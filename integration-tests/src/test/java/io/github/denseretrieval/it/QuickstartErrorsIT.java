package io.github.denseretrieval.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quickstart's bad-input paths: a clear message and exit code 1, before or without a running node. */
class QuickstartErrorsIT {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static String runExpectingFailure(String... args) {
        StringWriter err = new StringWriter();
        int code = Quickstart.run(new PrintWriter(err, true), args);
        assertEquals(1, code, "exit code; stderr: " + err);
        return err.toString();
    }

    private static Path dataset(Path dir, String corpus, String qrels) throws IOException {
        Files.writeString(dir.resolve("corpus.jsonl"), corpus);
        Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"a question\"}\n");
        Files.createDirectories(dir.resolve("qrels"));
        Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\n" + qrels);
        return dir;
    }

    @Test
    void missingDataFolderIsExplained(@TempDir Path dir) {
        String err = runExpectingFailure("--root", ROOT.toString(), "--data", dir.resolve("nope").toString());
        assertTrue(err.contains("no BEIR dataset") && err.contains("--data"), err);
    }

    @Test
    void corpusLineThatIsNotJsonIsNamedByLine(@TempDir Path dir) throws IOException {
        dataset(dir, "{\"_id\":\"d1\",\"text\":\"fine\"}\n{broken\n", "q1\td1\t1\n");
        String err = runExpectingFailure("--root", ROOT.toString(), "--data", dir.toString());
        assertTrue(err.contains("corpus.jsonl line 2"), err);
    }

    @Test
    void qrelsWithUnknownIdsAreRejected(@TempDir Path dir) throws IOException {
        dataset(dir, "{\"_id\":\"d1\",\"text\":\"fine\"}\n", "q1\td1\t1\nq1\tghost\t1\n");
        String err = runExpectingFailure("--root", ROOT.toString(), "--data", dir.toString());
        assertTrue(err.contains("does not match the dataset") && err.contains("ghost"), err);
    }

    @Test
    void portInUseIsReportedBeforeStarting(@TempDir Path dir) throws IOException {
        dataset(dir, "{\"_id\":\"d1\",\"text\":\"fine\"}\n", "q1\td1\t1\n");
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String err = runExpectingFailure("--root", ROOT.toString(), "--data", dir.toString(), "--port",
                String.valueOf(busy.getLocalPort()), "--work-dir", dir.resolve("node").toString());
            assertTrue(err.contains("already in use"), err);
        }
    }
}
