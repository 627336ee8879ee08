package io.github.denseretrieval.evaluation.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Relevance judgements: for each question, graded relevance of judged documents (BEIR
 * {@code qrels/<split>.tsv}: header {@code query-id corpus-id score}, tab-separated). Question
 * order is file order. Immutable once read.
 */
public final class Qrels {

    private final Map<String, Map<String, Integer>> judgements;

    public Qrels(Map<String, Map<String, Integer>> judgements) {
        Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
        judgements.forEach((q, docs) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(docs))));
        this.judgements = Collections.unmodifiableMap(copy);
    }

    /** Reads a BEIR qrels TSV; a malformed line fails naming the file and line number. */
    public static Qrels read(Path tsv) throws IOException {
        if (!Files.isRegularFile(tsv)) {
            throw new IllegalArgumentException("qrels file not found: " + tsv);
        }
        Map<String, Map<String, Integer>> judgements = new LinkedHashMap<>();
        NumberedLines.forEach(tsv, (line, number) -> {
            if (number == 1 && line.startsWith("query-id")) {
                return;
            }
            String[] cols = line.split("\t");
            if (cols.length != 3) {
                throw new IllegalArgumentException(tsv + " line " + number + ": expected 3 tab-separated columns "
                    + "(query-id, corpus-id, score), got " + cols.length);
            }
            int grade;
            try {
                grade = Integer.parseInt(cols[2].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(tsv + " line " + number + ": score [" + cols[2] + "] is not an integer");
            }
            judgements.computeIfAbsent(cols[0].trim(), k -> new LinkedHashMap<>()).put(cols[1].trim(), grade);
        });
        return new Qrels(judgements);
    }

    /** Question ids, in file order. */
    public Set<String> queryIds() {
        return judgements.keySet();
    }

    /** Judged documents of {@code queryId} with their grades (empty if none). */
    public Map<String, Integer> judgements(String queryId) {
        return judgements.getOrDefault(queryId, Map.of());
    }

    /** Number of (question, document) judgements. */
    public int size() {
        return judgements.values().stream().mapToInt(Map::size).sum();
    }

    /** The judgements of the given questions only. */
    public Qrels restrictTo(Collection<String> queryIds) {
        Map<String, Map<String, Integer>> kept = new LinkedHashMap<>();
        for (String q : judgements.keySet()) {
            if (queryIds.contains(q)) {
                kept.put(q, judgements.get(q));
            }
        }
        return new Qrels(kept);
    }
}
