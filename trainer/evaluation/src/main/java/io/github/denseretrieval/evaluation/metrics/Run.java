package io.github.denseretrieval.evaluation.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A retrieval run: for each question, the retrieved documents with scores. Writes the
 * TREC run format ({@code qid Q0 docid rank score tag}) that {@code trec_eval} takes. Not
 * thread-safe while being filled.
 */
public final class Run {

    private final Map<String, List<ScoredDoc>> results = new LinkedHashMap<>();

    public void put(String queryId, List<ScoredDoc> docs) {
        results.put(queryId, List.copyOf(docs));
    }

    /** Documents retrieved for {@code queryId}, as given (empty if none). */
    public List<ScoredDoc> get(String queryId) {
        return results.getOrDefault(queryId, List.of());
    }

    public Map<String, List<ScoredDoc>> asMap() {
        return Collections.unmodifiableMap(results);
    }

    /** Writes the run in TREC format, ranks from 1 in score order. */
    public void writeTrec(Path file, String tag) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, List<ScoredDoc>> e : results.entrySet()) {
                List<ScoredDoc> docs = Evaluator.trecOrder(e.getValue());
                for (int i = 0; i < docs.size(); i++) {
                    out.write(String.format(Locale.ROOT, "%s Q0 %s %d %.6f %s%n", e.getKey(), docs.get(i).docId(), i + 1,
                        docs.get(i).score(), tag));
                }
            }
        }
    }

    /** Reads a TREC run file as {@link #writeTrec} writes it; a malformed line fails naming file and line. */
    public static Run readTrec(Path file) throws IOException {
        Map<String, List<ScoredDoc>> byQuery = new LinkedHashMap<>();
        NumberedLines.forEach(file, (line, number) -> {
            String[] cols = line.trim().split("\\s+");
            if (cols.length != 6) {
                throw new IllegalArgumentException(file + " line " + number + ": expected 6 columns (qid Q0 docid rank score tag), got "
                    + cols.length);
            }
            byQuery.computeIfAbsent(cols[0], q -> new ArrayList<>()).add(new ScoredDoc(cols[2], Double.parseDouble(cols[4])));
        });
        Run run = new Run();
        byQuery.forEach(run::put);
        return run;
    }
}
