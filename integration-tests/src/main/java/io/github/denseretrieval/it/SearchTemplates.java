package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.trainer.eval.ClusterSearch;
import io.github.denseretrieval.trainer.eval.HybridTuning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The search bodies of {@code es-config/searches/} ({@code bm25}, {@code dense}, {@code hybrid}),
 * with {@code {{query}}} filled in: the quickstart measures exactly the requests the docs show.
 */
public final class SearchTemplates {

    public static final String BM25 = "bm25";
    public static final String DENSE = "dense";
    public static final String HYBRID = "hybrid";

    private final Map<String, String> templates;

    private SearchTemplates(Map<String, String> templates) {
        this.templates = templates;
    }

    public static SearchTemplates load(Path esConfig) throws IOException {
        Path dir = esConfig.resolve("searches");
        return new SearchTemplates(Map.of(
            BM25, Files.readString(dir.resolve("bm25.json"), StandardCharsets.UTF_8),
            DENSE, Files.readString(dir.resolve("dense.json"), StandardCharsets.UTF_8),
            HYBRID, Files.readString(dir.resolve("hybrid.json"), StandardCharsets.UTF_8)));
    }

    /** The body of {@code mode} for {@code question}, with the model id replaced when {@code modelId} is given. */
    public String body(String mode, String question, String modelId) {
        String template = templates.get(mode);
        if (template == null) {
            throw new IllegalArgumentException("unknown search mode [" + mode + "]; valid modes are " + templates.keySet());
        }
        String body = ClusterSearch.fill(template, question);
        return modelId == null ? body : ClusterSetup.withModel(body, modelId);
    }

    /** Replaces the hybrid template's fusion and weights (BM25 first, dense second) with a tuned choice. */
    public SearchTemplates withHybrid(HybridTuning.Choice choice) throws IOException {
        ObjectNode root = (ObjectNode) ClusterClient.json().readTree(templates.get(HYBRID));
        ObjectNode hybrid = (ObjectNode) root.path("retriever").path("hybrid");
        hybrid.put("fusion", choice.fusion());
        ArrayNode weights = hybrid.putArray("weights");
        weights.add(round(choice.bm25Weight()));
        weights.add(round(choice.denseWeight()));
        if (choice.fusion().equals("linear")) {
            hybrid.put("normalizer", "min_max");
        }
        Map<String, String> copy = new java.util.HashMap<>(templates);
        copy.put(HYBRID, ClusterClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        return new SearchTemplates(copy);
    }

    /** The hybrid template's fusion settings, for reports. */
    public JsonNode hybridSettings() throws IOException {
        JsonNode h = ClusterClient.json().readTree(templates.get(HYBRID)).path("retriever").path("hybrid");
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.set("fusion", h.path("fusion"));
        out.set("weights", h.path("weights"));
        return out;
    }

    private static double round(double w) {
        return Math.round(w * 100) / 100.0;
    }
}
