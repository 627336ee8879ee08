package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RocketQA's denoising on crafted teacher probabilities, at the paper's thresholds 0.1 and 0.9. */
class DenoisingRuleTests {

    private static final DenoisingRule RULE = new DenoisingRule(new TeacherThresholds(0.1f, 0.9f));

    private static List<Passage> passages(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Passage("p" + i, "", "text " + i)).toList();
    }

    @Test
    void onlyConfidentNegativesAreKeptTheOthersCountedByReason() {
        List<Passage> c = passages(6);
        DenoisingRule.Outcome o = RULE.apply(c, new float[] {0.05f, 0.5f, 0.95f, 0.02f, 0.3f, 0.99f});
        assertEquals(List.of(c.get(0), c.get(3)), o.kept(), "0.05 and 0.02 kept, in ranking order");
        assertEquals(2, o.likelyPositive(), "0.95 and 0.99 dropped as likely positives");
        assertEquals(2, o.uncertain(), "0.5 and 0.3 dropped as uncertain, not kept as the old 0.9 cut-off kept them");
    }

    @Test
    void aProbabilityAtAThresholdIsUncertain() {
        DenoisingRule.Outcome o = RULE.apply(passages(2), new float[] {0.1f, 0.9f});
        assertEquals(List.of(), o.kept());
        assertEquals(0, o.likelyPositive());
        assertEquals(2, o.uncertain());
        assertTrue(RULE.keeps(0.0999f));
        assertFalse(RULE.keeps(0.1f));
        assertFalse(RULE.keeps(Float.NaN), "a score that is no number is not a confident negative");
    }

    @Test
    void thresholdsOutOfOrderOrRangeAndMismatchedScoresAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TeacherThresholds(0.9f, 0.1f));
        assertThrows(IllegalArgumentException.class, () -> new TeacherThresholds(0.5f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> new TeacherThresholds(0f, 0.9f));
        assertThrows(IllegalArgumentException.class, () -> new TeacherThresholds(0.1f, 1f));
        assertThrows(IllegalArgumentException.class, () -> RULE.apply(passages(2), new float[] {0.05f}));
    }
}
