package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.train.TrainingExample;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** RocketQA's pseudo labels on crafted teacher probabilities: > 0.9 positive, < 0.1 negative, the rest unused. */
class PseudoLabelRuleTests {

    private static final PseudoLabelRule RULE = new PseudoLabelRule(new TeacherThresholds(0.1f, 0.9f));
    private static final PseudoQuestions.Question QUESTION = new PseudoQuestions.Question("pseudo-1", "what is x", "p9");

    private static List<Passage> passages(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Passage("p" + i, "", "text " + i)).toList();
    }

    @Test
    void confidentPositivesEachGiveAnExampleWithTheConfidentNegatives() {
        List<Passage> c = passages(5);
        List<TrainingExample> out = RULE.label(QUESTION, c, new float[] {0.95f, 0.5f, 0.05f, 0.92f, 0.9f});
        assertEquals(2, out.size(), "0.95 and 0.92 are positives; 0.9 is not above the threshold");
        assertEquals(List.of(c.get(0), c.get(3)), out.stream().map(TrainingExample::positive).toList());
        for (TrainingExample e : out) {
            assertEquals("pseudo-1", e.queryId());
            assertEquals("what is x", e.query());
            assertEquals(List.of(c.get(2)), e.negatives(), "only 0.05 is a negative: 0.5 and 0.9 are uncertain");
            assertEquals(Set.of("p0", "p3"), e.positiveIds(), "each positive is judged, so a batch never contrasts it with the other");
        }
    }

    @Test
    void aQuestionWithoutAConfidentPositiveGivesNothing() {
        assertEquals(List.of(), RULE.label(QUESTION, passages(3), new float[] {0.05f, 0.5f, 0.89f}));
        assertEquals(List.of(), RULE.label(QUESTION, List.of(), new float[0]));
    }
}
