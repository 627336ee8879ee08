package io.github.denseretrieval.trainer.mining;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import io.github.denseretrieval.trainer.train.TrainingExample;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Negatives drawn from a rank window, again each epoch, without judged or likely positives. */
class SampledNegativesTests {

    private static final Map<String, Passage> CORPUS = new LinkedHashMap<>();

    static {
        for (int i = 0; i < 20; i++) {
            CORPUS.put("p" + i, new Passage("p" + i, "title " + i, "text " + i));
        }
    }

    /** Every question ranks p0, p1, ..., p19 in that order. */
    private static final NegativeMiner MINER = new NegativeMiner(CORPUS, q -> {
        List<ScoredDoc> ranked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ranked.add(new ScoredDoc("p" + i, 20 - i));
        }
        return ranked;
    });

    private static List<TrainingExample> examples() {
        List<TrainingExample> out = new ArrayList<>();
        for (int q = 0; q < 6; q++) {
            // Question q judges p(q) relevant: the window is counted without it.
            Passage positive = CORPUS.get("p" + q);
            out.add(new TrainingExample("q" + q, "question " + q, positive, List.of(), Set.of(positive.id())));
        }
        return out;
    }

    @Test
    void drawsFromTheWindowAgainEachEpochTheSameWayForTheSameSeed() {
        SampledNegatives sampled = new SampledNegatives(examples(), MINER, 2, 12, SampledNegatives.Judge.NONE, 3, 42);
        // Question 0 judges p0, so its ranking without positives is p1, p2, ...: ranks [2, 12) are p3..p12.
        List<String> window = sampled.candidates().get(0).stream().map(Passage::id).toList();
        assertEquals(List.of("p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12"), window);
        // Question 5 judges p5: p5 is skipped, the window is p2..p4, p6..p12.
        assertFalse(sampled.candidates().get(5).stream().anyMatch(p -> p.id().equals("p5")));
        assertEquals(10, sampled.candidates().get(5).size());

        List<TrainingExample> first = sampled.forEpoch(1);
        assertEquals(first, sampled.forEpoch(1), "the same epoch draws the same negatives");
        assertEquals(first, new SampledNegatives(examples(), MINER, 2, 12, SampledNegatives.Judge.NONE, 3, 42).forEpoch(1));
        List<TrainingExample> second = sampled.forEpoch(2);
        assertNotEquals(first, second, "a new epoch draws again");
        Set<Set<String>> draws = new HashSet<>();
        for (int e = 1; e <= 5; e++) {
            List<TrainingExample> epoch = sampled.forEpoch(e);
            for (int i = 0; i < epoch.size(); i++) {
                TrainingExample x = epoch.get(i);
                assertEquals(3, x.negatives().size());
                assertEquals(3, x.negatives().stream().map(Passage::id).distinct().count(), "drawn without replacement");
                x.negatives().forEach(n -> assertFalse(x.positiveIds().contains(n.id()), "a judged passage was drawn"));
                assertTrue(sampled.candidates().get(i).containsAll(x.negatives()), "drawn outside the window");
            }
            draws.add(new HashSet<>(epoch.get(0).negatives().stream().map(Passage::id).toList()));
        }
        assertTrue(draws.size() > 1, "five epochs drew the same negatives for question 0");
    }

    @Test
    void candidatesTheJudgeCallsLikelyPositiveAreNeverDrawn() {
        // The judge calls every passage with an even number likely relevant.
        SampledNegatives.Judge evenIsRelevant = (question, candidates) -> {
            boolean[] out = new boolean[candidates.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Integer.parseInt(candidates.get(i).id().substring(1)) % 2 == 0;
            }
            return out;
        };
        SampledNegatives sampled = new SampledNegatives(examples(), MINER, 0, 10, evenIsRelevant, 2, 7);
        for (int e = 1; e <= 3; e++) {
            for (TrainingExample x : sampled.forEpoch(e)) {
                x.negatives().forEach(n -> assertEquals(1, Integer.parseInt(n.id().substring(1)) % 2, "a likely positive was drawn: " + n.id()));
            }
        }
        // Question q's window is p0..p10 without p(q): six even passages, five when p(q) is one of them (q = 0, 2, 4).
        assertEquals(5 + 6 + 5 + 6 + 5 + 6, sampled.judgedOut());
    }

    @Test
    void aWindowMustBeOrdered() {
        assertThrows(IllegalArgumentException.class, () -> new SampledNegatives(examples(), MINER, 5, 5, SampledNegatives.Judge.NONE, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SampledNegatives(examples(), MINER, 0, 5, SampledNegatives.Judge.NONE, 0, 1));
    }
}
