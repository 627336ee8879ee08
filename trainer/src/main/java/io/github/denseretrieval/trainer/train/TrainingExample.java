package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.evaluation.beir.Passage;

import java.util.List;
import java.util.Set;

/**
 * One question with one positive passage and its negatives (mined, denoised or given by the
 * data). {@code positiveIds} holds every passage judged relevant to the question, so that a batch
 * never treats one of them as a negative.
 */
public record TrainingExample(String queryId, String query, Passage positive, List<Passage> negatives, Set<String> positiveIds) {

    public TrainingExample {
        negatives = List.copyOf(negatives);
        positiveIds = Set.copyOf(positiveIds);
    }

    public TrainingExample withNegatives(List<Passage> replacement) {
        return new TrainingExample(queryId, query, positive, replacement, positiveIds);
    }
}
