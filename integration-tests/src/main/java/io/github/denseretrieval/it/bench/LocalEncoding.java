package io.github.denseretrieval.it.bench;

import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.retrieval.ExactDenseSearch;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Qrels;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The yardstick every suite is read against: the same model encoding the same passages and
 * questions in this process (tokenizer + ONNX Runtime, the node's batch size and threads), with
 * no Elasticsearch in the way. Its vectors also feed the recall suite, which indexes them directly.
 *
 * @param passageVectors    by passage id, in the order of the set's passages
 * @param passageSeconds    wall time to encode all passages in one call (sorted by length, batches of the node's size)
 * @param questionVectors   by question id
 * @param questionLatencyMs one single-question encode per question, in question order
 */
record LocalEncoding(Map<String, float[]> passageVectors, double passageSeconds, Map<String, float[]> questionVectors,
                     double[] questionLatencyMs) {

    /** Encodes {@code set} with the model folder {@code model}, as the node's defaults would (its batch size, one thread per core). */
    static LocalEncoding of(Path model, EvaluationSet set) {
        EncoderOptions options = EncoderOptions.defaults().withBatchSize(IngestSuite.DEFAULT_BATCH_SIZE);
        try (TextEncoder encoder = TextEncoder.open(model, options)) {
            // Warm-up: the first passes pay for graph optimisation and allocation.
            encoder.encodePassages(List.of(set.passages().get(0).titleAndText()));
            encoder.encodeQuery("warm up");
            List<String> texts = new ArrayList<>();
            set.passages().forEach(p -> texts.add(p.titleAndText()));
            // All at once: the encoder sorts them by length and cuts batches of the node's size, the least
            // padding any batching can get, so this is the engine's best case, not the node's batching.
            long start = System.nanoTime();
            float[][] vectors = encoder.encodePassages(texts);
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, float[]> passages = new LinkedHashMap<>();
            for (int i = 0; i < vectors.length; i++) {
                Passage p = set.passages().get(i);
                passages.put(p.id(), vectors[i]);
            }
            Map<String, float[]> questions = new LinkedHashMap<>();
            double[] latencies = new double[set.queries().size()];
            int q = 0;
            for (Map.Entry<String, String> e : set.queries().entrySet()) {
                long t = System.nanoTime();
                questions.put(e.getKey(), encoder.encodeQuery(e.getValue()));
                latencies[q++] = (System.nanoTime() - t) / 1e6;
            }
            return new LocalEncoding(passages, seconds, questions, latencies);
        }
    }

    double passagesPerSecond() {
        return passageVectors.size() / passageSeconds;
    }

    /** nDCG@10 of exact dot-product search with these vectors over these passages (no index in the way). */
    double exactNdcgAt10(Qrels qrels) {
        ExactDenseSearch search = new ExactDenseSearch(new ArrayList<>(passageVectors.keySet()), passageVectors.values().toArray(float[][]::new));
        return Evaluator.evaluate(qrels, search.searchAll(questionVectors, 100)).ndcgAt10();
    }
}
