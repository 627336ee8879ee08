package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Run;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model folder evaluated in-process the way the plugin serves it (same encoder library and
 * engine), ranked by exact dot product. Keeps the passage vectors: a training recipe mines its
 * next negatives from the same corpus encoding instead of encoding it twice.
 */
public record DenseEvaluation(MetricSummary metrics, Run run, List<String> passageIds, float[][] passageVectors, double passagesPerSecond) {

    public static DenseEvaluation run(TextEncoder encoder, EvaluationSet set) {
        return run(encoder, encoder, set);
    }

    /** As {@link #run(TextEncoder, EvaluationSet)} for a model with a question tower and a passage tower. */
    public static DenseEvaluation run(TextEncoder questions, TextEncoder passages, EvaluationSet set) {
        long start = System.nanoTime();
        float[][] passageVectors = new ProgressEncoder(passages).encodePassages(set.passageTexts());
        double seconds = (System.nanoTime() - start) / 1e9;
        return score(questions, new ExactDenseSearch(set.passageIds(), passageVectors), set, set.passages().size() / seconds);
    }

    /**
     * As {@link #run(TextEncoder, TextEncoder, EvaluationSet)} with the passages already encoded
     * ({@code index} must hold exactly {@code set}'s passages); {@code passagesPerSecond} is then NaN.
     */
    public static DenseEvaluation run(TextEncoder questions, ExactDenseSearch index, EvaluationSet set) {
        if (!index.ids().equals(set.passageIds())) {
            throw new IllegalArgumentException("the passage index holds " + index.ids().size() + " passages that are not the evaluation set's "
                + set.passages().size());
        }
        return score(questions, index, set, Double.NaN);
    }

    private static DenseEvaluation score(TextEncoder questions, ExactDenseSearch index, EvaluationSet set, double passagesPerSecond) {
        List<String> qids = List.copyOf(set.queries().keySet());
        float[][] queryVectors = questions.encodeQueries(qids.stream().map(set.queries()::get).toList());
        Map<String, float[]> byId = new LinkedHashMap<>();
        for (int i = 0; i < qids.size(); i++) {
            byId.put(qids.get(i), queryVectors[i]);
        }
        Run run = index.searchAll(byId, 100);
        return new DenseEvaluation(Evaluator.evaluate(set.qrels(), run), run, index.ids(), index.vectors(), passagesPerSecond);
    }

    public ExactDenseSearch index() {
        return new ExactDenseSearch(passageIds, passageVectors);
    }
}
