package io.github.denseretrieval.evaluation.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Hand-computed cases for the trec_eval definitions. */
class EvaluatorTests {

    private static Run run(String qid, ScoredDoc... docs) {
        Run r = new Run();
        r.put(qid, List.of(docs));
        return r;
    }

    @Test
    void gradedNdcgAt10() {
        // Judged: a=2, b=1, c=0. Ranking: b, x, a.
        // DCG = 1/log2(2) + 0 + 2/log2(4) = 1 + 1 = 2
        // IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093 = 2.63093
        Qrels qrels = new Qrels(Map.of("q", Map.of("a", 2, "b", 1, "c", 0)));
        MetricSummary m = Evaluator.evaluate(qrels, run("q", new ScoredDoc("b", 3), new ScoredDoc("x", 2), new ScoredDoc("a", 1)));
        assertEquals(2 / (2 + 1 / (Math.log(3) / Math.log(2))), m.ndcgAt10(), 1e-9);
    }

    @Test
    void tiesAreBrokenByDocIdDescendingLikeTrecEval() {
        // Equal scores: trec_eval puts "b" before "a", so the relevant "a" sits at rank 2.
        Qrels qrels = new Qrels(Map.of("q", Map.of("a", 1)));
        MetricSummary m = Evaluator.evaluate(qrels, run("q", new ScoredDoc("a", 1), new ScoredDoc("b", 1)));
        assertEquals(0.5, m.mrrAt10(), 1e-12);
        assertEquals(1 / (Math.log(3) / Math.log(2)), m.ndcgAt10(), 1e-9);
    }

    @Test
    void mrrWithFirstHitAtRankThree() {
        Qrels qrels = new Qrels(Map.of("q", Map.of("c", 1)));
        MetricSummary m = Evaluator.evaluate(qrels, run("q", new ScoredDoc("a", 3), new ScoredDoc("b", 2), new ScoredDoc("c", 1)));
        assertEquals(1.0 / 3, m.mrrAt10(), 1e-12);
    }

    @Test
    void recallAt100CountsRelevantFound() {
        Qrels qrels = new Qrels(Map.of("q", Map.of("a", 1, "b", 1, "c", 1)));
        MetricSummary m = Evaluator.evaluate(qrels, run("q", new ScoredDoc("a", 3), new ScoredDoc("z", 2), new ScoredDoc("c", 1)));
        assertEquals(2.0 / 3, m.recallAt100(), 1e-12);
    }

    @Test
    void questionMissingFromRunCountsZeroInTheMean() {
        Qrels qrels = new Qrels(new java.util.LinkedHashMap<>(Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1))));
        MetricSummary m = Evaluator.evaluate(qrels, run("q1", new ScoredDoc("a", 1)));
        assertEquals(0.5, m.ndcgAt10(), 1e-12);
        assertEquals(0.5, m.mrrAt10(), 1e-12);
        assertEquals(2, m.queries());
    }

    @Test
    void hitBelowTheCutoffDoesNotCount() {
        Qrels qrels = new Qrels(Map.of("q", Map.of("rel", 1)));
        ScoredDoc[] docs = new ScoredDoc[11];
        for (int i = 0; i < 10; i++) {
            docs[i] = new ScoredDoc("d" + i, 100 - i);
        }
        docs[10] = new ScoredDoc("rel", 1);
        MetricSummary m = Evaluator.evaluate(qrels, run("q", docs));
        assertEquals(0, m.ndcgAt10());
        assertEquals(0, m.mrrAt10());
        assertEquals(1, m.recallAt100());
    }
}
