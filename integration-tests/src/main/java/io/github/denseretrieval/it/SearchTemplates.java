package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.fusion.FusionMethod;
import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The search bodies of {@code es-config/searches/} ({@code bm25} with English stemming,
 * {@code bm25-standard}, {@code dense}, {@code hybrid}), with {@code {{query}}} filled in: the
 * quickstart measures exactly the requests the docs show.
 */
public final class SearchTemplates {

    public static final String BM25 = "bm25";
    public static final String BM25_STANDARD = "bm25-standard";
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
            BM25_STANDARD, Files.readString(dir.resolve("bm25-standard.json"), StandardCharsets.UTF_8),
            DENSE, Files.readString(dir.resolve("dense.json"), StandardCharsets.UTF_8),
            HYBRID, Files.readString(dir.resolve("hybrid.json"), StandardCharsets.UTF_8)));
    }

    /** The body of {@code mode} for {@code question}, with the model id replaced when {@code modelId} is given. */
    public String body(String mode, String question, String modelId) {
        return ClusterSearch.fill(template(mode, modelId), question);
    }

    /** The body of {@code mode} with its question place left open, with the model id replaced when {@code modelId} is given. */
    public String template(String mode, String modelId) {
        String template = templates.get(mode);
        if (template == null) {
            throw new IllegalArgumentException("unknown search mode [" + mode + "]; valid modes are " + templates.keySet());
        }
        return modelId == null ? template : ClusterSetup.withModel(template, modelId);
    }

    /** A search of {@code mode} on {@code index} of the cluster at {@code url} (security off, as the quickstart's node). */
    public ClusterSearch search(String url, String index, String mode, String modelId) {
        return new ClusterSearch(url, index, template(mode, modelId), null);
    }

    /** These templates with the hybrid body replaced by {@code body} (a {@code hybrid_linear} or {@code hybrid_rrf} search). */
    public SearchTemplates withHybrid(String body) {
        Map<String, String> copy = new java.util.HashMap<>(templates);
        copy.put(HYBRID, body);
        return new SearchTemplates(copy);
    }

    /** The hybrid body's retriever object, for reports. */
    public JsonNode hybridRetriever() throws IOException {
        return hybridRetriever(null);
    }

    /** As {@link #hybridRetriever()} with the model id replaced when {@code modelId} is given: what was searched with it. */
    public JsonNode hybridRetriever(String modelId) throws IOException {
        return ClusterClient.json().readTree(template(HYBRID, modelId)).path("retriever");
    }

    /**
     * The hybrid body's fusion as {@link FusionSpec} (children in their order in the body), for
     * replaying it on the children's runs; the body names every weight and normaliser, and
     * {@code candidates} where one child supplies them.
     */
    public FusionSpec hybridSpec() throws IOException {
        JsonNode retriever = hybridRetriever();
        boolean linear = retriever.has("hybrid_linear");
        JsonNode fusion = retriever.path(linear ? "hybrid_linear" : "hybrid_rrf");
        if (fusion.isMissingNode()) {
            throw new IllegalStateException("searches/hybrid.json has no [hybrid_linear] or [hybrid_rrf] retriever: " + retriever);
        }
        JsonNode children = fusion.path("retrievers");
        float[] weights = new float[children.size()];
        ScoreNormalizer[] normalizers = new ScoreNormalizer[children.size()];
        int candidatesChild = -1;
        int candidates = 0;
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) children.get(i).path("weight").asDouble(1);
            normalizers[i] = linear ? ScoreNormalizer.fromName(children.get(i).path("normalizer").asText()) : ScoreNormalizer.NONE;
            if (children.get(i).has("candidates")) {
                candidatesChild = i;
                candidates = children.get(i).path("candidates").asInt();
            }
        }
        return new FusionSpec(linear ? FusionMethod.LINEAR : FusionMethod.RRF, weights, normalizers, fusion.path("rank_constant").asInt(60),
            candidatesChild, candidates);
    }
}
