package io.github.denseretrieval.trainer.recipe;

/**
 * RocketQA's two thresholds on the cross-encoder teacher's relevance probability: above
 * {@code positiveAbove} the teacher is confident a passage is relevant, below
 * {@code negativeBelow} confident it is not, and in between it is unsure. The paper uses 0.9 and
 * 0.1 for pseudo labels, and its code keeps a retrieved passage as a hard negative only when the
 * teacher is confident it is not relevant. Both comparisons are strict, so a probability equal to
 * a threshold is uncertain. Immutable.
 *
 * @param negativeBelow probabilities below it are confident negatives, in (0, 1)
 * @param positiveAbove probabilities above it are confident positives, in (negativeBelow, 1)
 */
public record TeacherThresholds(float negativeBelow, float positiveAbove) {

    /** What the teacher's probability says about one passage. */
    public enum Verdict { NEGATIVE, UNCERTAIN, POSITIVE }

    public TeacherThresholds {
        if (!(negativeBelow > 0 && negativeBelow < 1) || !(positiveAbove > negativeBelow && positiveAbove < 1)) {
            throw new IllegalArgumentException("teacher thresholds must satisfy 0 < --negative-threshold < --positive-threshold < 1, got "
                + negativeBelow + " and " + positiveAbove);
        }
    }

    public Verdict verdict(float probability) {
        if (probability > positiveAbove) {
            return Verdict.POSITIVE;
        }
        if (probability < negativeBelow) {
            return Verdict.NEGATIVE;
        }
        // NaN lands here too: a score that is no number is no label (CrossEncoder refuses to return one anyway).
        return Verdict.UNCERTAIN;
    }
}
