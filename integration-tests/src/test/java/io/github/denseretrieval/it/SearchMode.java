package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three ways a search uses the plugin, as request bodies over {@code title}, {@code text} and
 * {@code text_vector}: a {@code dense} query, Elasticsearch's {@code knn} section with a
 * {@code dense_encode} query vector builder, and a {@code hybrid} retriever (BM25 + {@code dense},
 * linear fusion with the README's weights). Each encodes exactly one question on the coordinating node.
 */
enum SearchMode {
    DENSE, KNN, HYBRID;

    String body(String question, String model) {
        String q = ClusterClient.jsonString(question);
        String m = ClusterClient.jsonString(model);
        return switch (this) {
            case DENSE -> "{\"size\":10,\"_source\":false,\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":" + q + ",\"model_id\":" + m
                + ",\"k\":10,\"num_candidates\":50}}}";
            case KNN -> "{\"size\":10,\"_source\":false,\"knn\":{\"field\":\"text_vector\",\"k\":10,\"num_candidates\":50,"
                + "\"query_vector_builder\":{\"dense_encode\":{\"model_id\":" + m + ",\"text\":" + q + "}}}}";
            case HYBRID -> "{\"size\":10,\"_source\":false,\"retriever\":{\"hybrid_linear\":{\"retrievers\":["
                + "{\"retriever\":{\"standard\":{\"query\":{\"multi_match\":{\"query\":" + q + ",\"fields\":[\"title\",\"text\"]}}}},"
                + "\"weight\":0.2},"
                + "{\"retriever\":{\"standard\":{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":" + q + ",\"model_id\":" + m
                + ",\"num_candidates\":50}}}},\"weight\":0.8}],\"rank_window_size\":20}}}";
        };
    }

    /** What one search got: its HTTP status (or -1 and the exception when none came), latency, and whether shards failed. */
    record Outcome(int status, double millis, boolean partial, int hits, String error) {
        String kind() {
            return status < 0 ? "io:" + error : Integer.toString(status);
        }
    }

    /** Sends one search of this mode for {@code question} to {@code client}. */
    Outcome run(ClusterClient client, String index, String question, String model) {
        long start = System.nanoTime();
        try {
            ClusterClient.Answer a = client.send("POST", "/" + index + "/_search", body(question, model));
            double ms = (System.nanoTime() - start) / 1e6;
            JsonNode shards = a.body().path("_shards");
            return new Outcome(a.status(), ms, shards.path("failed").asInt() > 0, a.body().path("hits").path("hits").size(),
                a.ok() ? null : a.body().toString());
        } catch (IOException e) {
            return new Outcome(-1, (System.nanoTime() - start) / 1e6, false, 0, e.getClass().getSimpleName());
        }
    }

    /** SciFact's claims when the data is there, else a few fixed questions. */
    static List<String> questions(int max) throws IOException {
        List<String> out = new ArrayList<>();
        Path file = RealNode.SCIFACT.resolve("queries.jsonl");
        if (Files.isRegularFile(file)) {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null && out.size() < max; line = in.readLine()) {
                    out.add(ClusterClient.json().readTree(line).path("text").asText());
                }
            }
            return out;
        }
        return List.of("what causes malaria", "does aspirin prevent colorectal cancer", "exercise and insulin sensitivity",
            "vitamin D and bone fractures", "how do vaccines train the immune system", "statins and heart attacks");
    }
}
