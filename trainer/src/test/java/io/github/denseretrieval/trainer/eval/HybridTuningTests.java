package io.github.denseretrieval.trainer.eval;

import io.github.denseretrieval.trainer.metrics.Evaluator;
import io.github.denseretrieval.trainer.metrics.Qrels;
import io.github.denseretrieval.trainer.metrics.Run;
import io.github.denseretrieval.trainer.metrics.ScoredDoc;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HybridTuningTests {

    private static Run run(Map<String, List<ScoredDoc>> lists) {
        Run r = new Run();
        lists.forEach(r::put);
        return r;
    }

    @Test
    void rrfMatchesTheFormula() {
        Run a = run(Map.of("q", List.of(new ScoredDoc("x", 9), new ScoredDoc("y", 8))));
        Run b = run(Map.of("q", List.of(new ScoredDoc("y", 0.9), new ScoredDoc("z", 0.1))));
        Map<String, Double> fused = new LinkedHashMap<>();
        HybridTuning.fuse(a, b, "rrf", 0.4, 0.6, 100).get("q").forEach(d -> fused.put(d.docId(), d.score()));
        assertEquals(0.4 / 62 + 0.6 / 61, fused.get("y"), 1e-12);
        assertEquals(0.4 / 61, fused.get("x"), 1e-12);
        assertEquals(0.6 / 62, fused.get("z"), 1e-12);
    }

    @Test
    void tunedChoiceIsNeverWorseThanEitherChildOnTheTuningQuestions() {
        // q1: only the first run finds the answer; q2: only the second does.
        Qrels qrels = new Qrels(new LinkedHashMap<>(Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1))));
        Run bm25 = run(Map.of("q1", List.of(new ScoredDoc("a", 5), new ScoredDoc("c", 4)), "q2", List.of(new ScoredDoc("c", 5))));
        Run dense = run(Map.of("q1", List.of(new ScoredDoc("c", 0.9)), "q2", List.of(new ScoredDoc("b", 0.9), new ScoredDoc("c", 0.8))));
        HybridTuning.Choice c = HybridTuning.tune(qrels, bm25, dense, 100);
        double best = Math.max(Evaluator.evaluate(qrels, bm25).ndcgAt10(), Evaluator.evaluate(qrels, dense).ndcgAt10());
        assertTrue(c.ndcgAt10() >= best, c + " vs best child " + best);
        assertTrue(c.ndcgAt10() > best, "fusing complementary runs should beat both: " + c);
    }
}
