package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;

import java.util.ArrayList;
import java.util.List;

/**
 * Which retrieved candidates of a labelled question may serve as its hard negatives, given the
 * teacher's probabilities: RocketQA's denoising as its released code does it, keeping only the
 * candidates the teacher is confident are not relevant ({@link TeacherThresholds.Verdict#NEGATIVE}).
 * Candidates above the positive threshold are likely unlabelled positives; those in between are
 * left out too, since a negative the teacher is unsure of may well be a false one. Pure; immutable.
 */
public record DenoisingRule(TeacherThresholds thresholds) {

    /** One question's kept negatives, in ranking order, and how many candidates each reason left out. */
    public record Outcome(List<Passage> kept, int likelyPositive, int uncertain) {
        public Outcome {
            kept = List.copyOf(kept);
        }
    }

    /** {@code probabilities[i]} is the teacher's probability that {@code candidates.get(i)} is relevant. */
    public Outcome apply(List<Passage> candidates, float[] probabilities) {
        if (candidates.size() != probabilities.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + probabilities.length + " probabilities");
        }
        List<Passage> kept = new ArrayList<>();
        int likelyPositive = 0;
        int uncertain = 0;
        for (int i = 0; i < candidates.size(); i++) {
            switch (thresholds.verdict(probabilities[i])) {
                case NEGATIVE -> kept.add(candidates.get(i));
                case POSITIVE -> likelyPositive++;
                case UNCERTAIN -> uncertain++;
            }
        }
        return new Outcome(kept, likelyPositive, uncertain);
    }

    /** Whether a candidate may be a negative: the flag a sampled-negatives judge needs. */
    public boolean keeps(float probability) {
        return thresholds.verdict(probability) == TeacherThresholds.Verdict.NEGATIVE;
    }
}
