package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.train.TrainingExample;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * RocketQA's pseudo labels for an unlabelled question, given the teacher's probabilities for its
 * retrieved candidates: confident positives ({@link TeacherThresholds.Verdict#POSITIVE}) become
 * positives, confident negatives become the negatives of each, and uncertain candidates are not
 * used. A question with no confident positive gives no example: a negative needs a positive to be
 * contrasted with. Pure; immutable.
 */
public record PseudoLabelRule(TeacherThresholds thresholds) {

    /** One example per confident positive, in ranking order; every confident positive is marked judged, so none is another's negative. */
    public List<TrainingExample> label(PseudoQuestions.Question question, List<Passage> candidates, float[] probabilities) {
        if (candidates.size() != probabilities.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + probabilities.length + " probabilities");
        }
        List<Passage> positives = new ArrayList<>();
        List<Passage> negatives = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            switch (thresholds.verdict(probabilities[i])) {
                case POSITIVE -> positives.add(candidates.get(i));
                case NEGATIVE -> negatives.add(candidates.get(i));
                case UNCERTAIN -> { }
            }
        }
        Set<String> ids = new LinkedHashSet<>();
        positives.forEach(p -> ids.add(p.id()));
        List<TrainingExample> out = new ArrayList<>(positives.size());
        for (Passage positive : positives) {
            out.add(new TrainingExample(question.id(), question.text(), positive, negatives, ids));
        }
        return out;
    }
}
