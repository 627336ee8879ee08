package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Brute-force maximum inner product search over a matrix of passage vectors: the exact ranking
 * that an approximate index (Elasticsearch's HNSW) can only approach, so in-process evaluation
 * measures the model alone. Immutable after construction; {@link #search} is thread-safe.
 */
public final class ExactDenseSearch {

    private final List<String> ids;
    private final float[][] vectors;

    /** @param ids passage ids, parallel to {@code vectors} */
    public ExactDenseSearch(List<String> ids, float[][] vectors) {
        if (ids.size() != vectors.length) {
            throw new IllegalArgumentException(ids.size() + " ids but " + vectors.length + " vectors");
        }
        this.ids = List.copyOf(ids);
        this.vectors = vectors;
    }

    /** The {@code k} passages with the highest dot product with {@code query}, best first. */
    public List<ScoredDoc> search(float[] query, int k) {
        PriorityQueue<ScoredDoc> top = new PriorityQueue<>(k + 1, (a, b) -> Double.compare(a.score(), b.score()));
        for (int i = 0; i < vectors.length; i++) {
            float[] v = vectors[i];
            double s = 0;
            for (int d = 0; d < v.length; d++) {
                s += query[d] * v[d];
            }
            if (top.size() < k) {
                top.add(new ScoredDoc(ids.get(i), s));
            } else if (s > top.peek().score()) {
                top.poll();
                top.add(new ScoredDoc(ids.get(i), s));
            }
        }
        List<ScoredDoc> out = new ArrayList<>(top);
        out.sort((a, b) -> Double.compare(b.score(), a.score()));
        return out;
    }

    List<String> ids() {
        return ids;
    }

    float[][] vectors() {
        return vectors;
    }

    /** Searches every query; {@code queryVectors} maps query id to vector. */
    public Run searchAll(Map<String, float[]> queryVectors, int k) {
        Run run = new Run();
        queryVectors.forEach((qid, q) -> run.put(qid, search(q, k)));
        return run;
    }
}
