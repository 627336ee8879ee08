package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;

/**
 * A top-level {@code knn} search with its query vector given, ids and scores only: what the
 * suites time against the plugin's {@code dense} query (the same search without the encoding).
 */
final class KnnBody {

    private KnnBody() {}

    /** {@code oversample} null: no {@code rescore_vector} (the index keeps full vectors or offers none). */
    static String of(String field, float[] vector, int k, int numCandidates, Double oversample) {
        ObjectNode body = ClusterClient.json().createObjectNode();
        body.put("size", k);
        body.put("_source", false);
        ObjectNode knn = body.putObject("knn");
        knn.put("field", field);
        ArrayNode v = knn.putArray("query_vector");
        for (float f : vector) {
            v.add(f);
        }
        knn.put("k", k);
        knn.put("num_candidates", Math.max(k, numCandidates));
        if (oversample != null) {
            knn.putObject("rescore_vector").put("oversample", oversample);
        }
        return body.toString();
    }
}
