package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.evaluation.beir.Passage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One training batch laid out for {@link ContrastiveLoss}: the questions, then the passages
 * (each question's positive first, in question order, then every question's negatives), and the
 * false-negative mask. A passage that appears twice (two questions judged the same passage, or a
 * mined negative that is another question's positive) is kept once.
 */
public record ContrastiveBatch(List<String> queries, List<String> passages, float[] falseNegatives) {

    /** Lays out {@code examples}, using up to {@code negativesPerQuestion} negatives of each. */
    public static ContrastiveBatch of(List<TrainingExample> examples, int negativesPerQuestion) {
        List<String> queries = new ArrayList<>(examples.size());
        List<Passage> passages = new ArrayList<>();
        Map<String, Integer> column = new HashMap<>();
        for (TrainingExample e : examples) {
            queries.add(e.query());
            // Positives take columns 0..B-1 even when two questions share one: the diagonal is the target.
            passages.add(e.positive());
            column.putIfAbsent(e.positive().id(), passages.size() - 1);
        }
        for (TrainingExample e : examples) {
            int used = 0;
            for (Passage n : e.negatives()) {
                if (used == negativesPerQuestion) {
                    break;
                }
                if (!column.containsKey(n.id())) {
                    column.put(n.id(), passages.size());
                    passages.add(n);
                }
                used++;
            }
        }
        int b = examples.size();
        int cols = passages.size();
        float[] mask = new float[b * cols];
        for (int i = 0; i < b; i++) {
            TrainingExample e = examples.get(i);
            for (int j = 0; j < cols; j++) {
                if (j != i && e.positiveIds().contains(passages.get(j).id())) {
                    mask[i * cols + j] = 1f;
                }
            }
        }
        return new ContrastiveBatch(queries, passages.stream().map(Passage::titleAndText).toList(), mask);
    }
}
