package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Recall@10 of Elasticsearch's approximate vector indexes against exact search over the same
 * vectors (a {@code flat} index), at several {@code num_candidates}, with each option's bytes per
 * vector (from {@code _disk_usage}) and nDCG@10. The passage vectors come from the in-process
 * encoder and are indexed directly, so the figures measure the index, not the encoder.
 */
final class RecallSuite {

    /** es-config's vector index type and the num_candidates of its {@code dense} search. */
    static final String DEFAULT_TYPE = "hnsw";
    static final int DEFAULT_NUM_CANDIDATES = 200;
    static final String GOAL = "es-config's default (hnsw, num_candidates 200) recall@10 >= 0.98";

    /** An index option, and whether its knn search re-scores with the full vectors. */
    private record Variant(String name, String type, Double oversample) {}

    private static final List<Variant> VARIANTS = List.of(
        new Variant("hnsw", "hnsw", null),
        new Variant("int8_hnsw", "int8_hnsw", null),
        new Variant("int8_hnsw+rescore", "int8_hnsw", 3.0),
        new Variant("bbq_hnsw", "bbq_hnsw", null),
        new Variant("bbq_hnsw+rescore", "bbq_hnsw", 3.0));

    private RecallSuite() {}

    static ObjectNode run(ClusterClient client, LocalEncoding local, Qrels qrels) throws IOException {
        int dims = local.passageVectors().values().iterator().next().length;
        int[] candidates = {10, 50, 100, 200, 500};
        Map<String, List<String>> exact = new java.util.LinkedHashMap<>();
        String flat = createAndFill(client, "flat", dims, local);
        for (Map.Entry<String, float[]> q : local.questionVectors().entrySet()) {
            exact.put(q.getKey(), ids(search(client, flat, q.getValue(), 10, 10_000, null)));
        }
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.put("passages", local.passageVectors().size());
        out.put("questions", exact.size());
        out.put("goal", GOAL);
        out.put("exact_ndcg@10", ndcg(client, flat, local, qrels, 10_000, null));
        out.put("flat_bytes_per_vector", bytesPerVector(client, flat, local.passageVectors().size()));
        client.send("DELETE", "/" + flat, null);
        ArrayNode rows = out.putArray("rows");
        Double defaultRecall = null;
        for (String type : List.of("hnsw", "int8_hnsw", "bbq_hnsw")) {
            String index = createAndFill(client, type, dims, local);
            double bytes = bytesPerVector(client, index, local.passageVectors().size());
            for (Variant v : VARIANTS) {
                if (!v.type().equals(type)) {
                    continue;
                }
                for (int nc : candidates) {
                    double recall = 0;
                    for (Map.Entry<String, float[]> q : local.questionVectors().entrySet()) {
                        Set<String> truth = new HashSet<>(exact.get(q.getKey()));
                        List<String> got = ids(search(client, index, q.getValue(), 10, nc, v.oversample()));
                        recall += got.stream().filter(truth::contains).count() / (double) Math.max(1, truth.size());
                    }
                    recall /= exact.size();
                    ObjectNode row = rows.addObject();
                    row.put("option", v.name());
                    row.put("num_candidates", nc);
                    row.put("recall@10", recall);
                    row.put("bytes_per_vector", bytes);
                    if (nc == DEFAULT_NUM_CANDIDATES) {
                        row.put("ndcg@10", ndcg(client, index, local, qrels, nc, v.oversample()));
                    }
                    if (v.name().equals(DEFAULT_TYPE) && nc == DEFAULT_NUM_CANDIDATES) {
                        defaultRecall = recall;
                    }
                    System.out.printf(Locale.ROOT, "recall: %-18s num_candidates %3d: recall@10 %.4f, %.0f bytes/vector%s%n", v.name(), nc,
                        recall, bytes, row.has("ndcg@10") ? String.format(Locale.ROOT, ", nDCG@10 %.4f", row.get("ndcg@10").asDouble()) : "");
                }
            }
            client.send("DELETE", "/" + index, null);
        }
        out.put("default_recall@10", defaultRecall);
        out.put("goal_met", defaultRecall != null && defaultRecall >= 0.98);
        return out;
    }

    private static String createAndFill(ClusterClient client, String type, int dims, LocalEncoding local) throws IOException {
        // Not dense-*: es-config's template must not add its text fields and pipeline to these vector-only indexes.
        String index = "bench-vectors-" + type;
        client.send("DELETE", "/" + index, null);
        ObjectNode body = ClusterClient.json().createObjectNode();
        body.putObject("settings").put("number_of_shards", 1).put("number_of_replicas", 0);
        ObjectNode vector = body.putObject("mappings").putObject("properties").putObject("vector");
        vector.put("type", "dense_vector").put("dims", dims).put("index", true).put("similarity", "dot_product");
        ObjectNode options = vector.putObject("index_options").put("type", type);
        if (type.endsWith("hnsw")) {
            // es-config's graph parameters, so hnsw here is the shipped index.
            options.put("m", 16).put("ef_construction", 100);
        }
        client.sendOk("PUT", "/" + index, body.toString());
        StringBuilder bulk = new StringBuilder();
        int n = 0;
        for (Map.Entry<String, float[]> e : local.passageVectors().entrySet()) {
            ObjectNode action = ClusterClient.json().createObjectNode();
            action.putObject("index").put("_id", e.getKey());
            ObjectNode doc = ClusterClient.json().createObjectNode();
            ArrayNode v = doc.putArray("vector");
            for (float f : e.getValue()) {
                v.add(f);
            }
            bulk.append(action).append('\n').append(doc).append('\n');
            if (++n % 500 == 0) {
                bulkOk(client, index, bulk);
                bulk.setLength(0);
            }
        }
        if (bulk.length() > 0) {
            bulkOk(client, index, bulk);
        }
        // One segment: one graph per index, so recall does not depend on how the bulk happened to be flushed.
        client.sendOk("POST", "/" + index + "/_forcemerge?max_num_segments=1", null);
        client.sendOk("POST", "/" + index + "/_refresh", null);
        return index;
    }

    private static void bulkOk(ClusterClient client, String index, StringBuilder bulk) throws IOException {
        JsonNode r = client.sendOk("POST", "/" + index + "/_bulk", bulk.toString());
        if (r.path("errors").asBoolean()) {
            throw new IOException("bulk into [" + index + "] had errors: " + r.toString().substring(0, Math.min(500, r.toString().length())));
        }
    }

    private static JsonNode search(ClusterClient client, String index, float[] vector, int k, int numCandidates, Double oversample)
        throws IOException {
        return client.sendOk("POST", "/" + index + "/_search", KnnBody.of("vector", vector, k, numCandidates, oversample));
    }

    private static List<String> ids(JsonNode response) {
        List<String> ids = new ArrayList<>();
        response.path("hits").path("hits").forEach(h -> ids.add(h.path("_id").asText()));
        return ids;
    }

    private static double ndcg(ClusterClient client, String index, LocalEncoding local, Qrels qrels, int numCandidates, Double oversample)
        throws IOException {
        Run run = new Run();
        for (Map.Entry<String, float[]> q : local.questionVectors().entrySet()) {
            List<ScoredDoc> docs = new ArrayList<>();
            for (JsonNode h : search(client, index, q.getValue(), 10, numCandidates, oversample).path("hits").path("hits")) {
                docs.add(new ScoredDoc(h.path("_id").asText(), h.path("_score").asDouble()));
            }
            run.put(q.getKey(), docs);
        }
        return Evaluator.evaluate(qrels, run).ndcgAt10();
    }

    /** The vector field's bytes on disk per vector (all its files: graph, vectors, quantised copies). */
    private static double bytesPerVector(ClusterClient client, String index, int vectors) throws IOException {
        JsonNode usage = client.sendOk("POST", "/" + index + "/_disk_usage?run_expensive_tasks=true", null);
        JsonNode field = usage.path(index).path("fields").path("vector");
        return field.path("total_in_bytes").asDouble() / vectors;
    }
}
