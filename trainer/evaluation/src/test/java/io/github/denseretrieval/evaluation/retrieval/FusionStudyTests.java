package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FusionStudyTests {

    private static Run run(Map<String, List<ScoredDoc>> lists) {
        Run r = new Run();
        lists.forEach(r::put);
        return r;
    }

    @Test
    void theRuleKeepsTheBestMedianAmongSafeCandidatesNotTheBestMedian() {
        double[][] gains = {
            {0.10, -0.05},   // best median, loses 0.05 on the second collection: unsafe
            {0.01, 0.004},   // safe
            {0.03, -0.004},  // safe (loses less than 0.005), higher median: kept
        };
        assertEquals(2, FusionStudy.pick(gains));
    }

    @Test
    void oneCollectionsLargeGainDoesNotOutvoteTheOthers() {
        double[][] gains = {
            {0.06, 0.0, 0.0},        // mean 0.02, median 0
            {0.012, 0.012, 0.012},   // mean 0.012, median 0.012: kept
        };
        assertEquals(1, FusionStudy.pick(gains));
        assertEquals(0.016, FusionStudy.median(new double[] {0.02, 0.004, 0.012, 0.1}), 1e-12);
        assertEquals(0.004, FusionStudy.median(new double[] {0.02, 0.004, -0.01}), 1e-12);
    }

    @Test
    void withNoSafeCandidateTheRuleKeepsTheSmallestWorstLoss() {
        double[][] gains = {{0.2, -0.03}, {-0.01, -0.02}, {0.05, -0.04}};
        assertEquals(1, FusionStudy.pick(gains));
    }

    @Test
    void leavingACollectionOutDropsItsColumn() {
        double[][] gains = {{0.10, -0.05, 0.02}, {0.01, 0.004, 0.03}};
        double[][] rest = FusionStudy.withoutCollection(gains, 1);
        assertEquals(0.10, rest[0][0]);
        assertEquals(0.02, rest[0][1]);
        assertEquals(0.03, rest[1][1]);
        // With the collection where the first candidate loses 0.05 left out, it is safe and has the higher median.
        assertEquals(1, FusionStudy.pick(gains));
        assertEquals(0, FusionStudy.pick(rest));
    }

    @Test
    void tiesKeepTheEarlierCandidate() {
        assertEquals(0, FusionStudy.pick(new double[][] {{0.01, 0.01}, {0.01, 0.01}}));
    }

    @Test
    void runFusionUsesThePluginsArithmetic() {
        // BM25 6, 4, 2 (a, b, c) -> z 2.44949, 1.22474, 0; dense 0.8, 0.6 (c, d) -> 2, 0; weights 0.5 / 0.5
        Run bm25 = run(Map.of("q", List.of(new ScoredDoc("a", 6), new ScoredDoc("b", 4), new ScoredDoc("c", 2))));
        Run dense = run(Map.of("q", List.of(new ScoredDoc("c", 0.8), new ScoredDoc("d", 0.6))));
        Map<String, Double> fused = new LinkedHashMap<>();
        RunFusion.fuse(FusionSpec.linear(ScoreNormalizer.Z_SCORE, 0.5f, 0.5f), List.of(bm25, dense), 100).get("q")
            .forEach(d -> fused.put(d.docId(), d.score()));
        assertEquals(List.of("a", "c", "b", "d"), List.copyOf(fused.keySet()));
        assertEquals(1.224745, fused.get("a"), 1e-5);
        assertEquals(1.0, fused.get("c"), 1e-5);
    }

    @Test
    void judgeCountsWinsAndLossesAgainstDense() {
        Qrels qrels = new Qrels(new LinkedHashMap<>(Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1), "q3", Map.of("z", 1))));
        Run dense = run(Map.of("q1", List.of(new ScoredDoc("x", 1), new ScoredDoc("a", 0.5)), "q2", List.of(new ScoredDoc("b", 1)),
            "q3", List.of(new ScoredDoc("x", 1))));
        Run better = run(Map.of("q1", List.of(new ScoredDoc("a", 1)), "q2", List.of(new ScoredDoc("x", 1), new ScoredDoc("b", 0.5)),
            "q3", List.of(new ScoredDoc("x", 1))));
        FusionStudy.Outcome o = FusionStudy.judge(qrels, better, dense);
        assertEquals(1, o.wins());
        assertEquals(1, o.losses());
        assertEquals(3, o.questions());
    }

    @Test
    void onComplementaryRunsTheChoiceBeatsBothChildrenOnItsTuningQuestions() {
        // q1: only BM25 finds the answer; q2: only dense does.
        Qrels qrels = new Qrels(new LinkedHashMap<>(Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1))));
        Run bm25 = run(Map.of("q1", List.of(new ScoredDoc("a", 5), new ScoredDoc("c", 4)), "q2", List.of(new ScoredDoc("c", 5))));
        Run dense = run(Map.of("q1", List.of(new ScoredDoc("c", 0.9)), "q2", List.of(new ScoredDoc("b", 0.9), new ScoredDoc("c", 0.8))));
        FusionStudy.TestCollection col = new FusionStudy.TestCollection("t", qrels, qrels, bm25, dense);
        FusionStudy.Candidate c = FusionStudy.choose(List.of(col), FusionStudy.grid());
        FusionStudy.Outcome o = FusionStudy.judge(qrels, FusionStudy.fuse(c, bm25, dense), dense);
        assertTrue(o.gain() > 0, c.name() + " gains " + o.gain());
        assertTrue(o.ndcg() > Evaluator.evaluate(qrels, bm25).ndcgAt10(), c.name());
    }
}
