package io.github.denseretrieval.plugin.search.hybrid;

import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import org.apache.lucene.search.ScoreDoc;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fused rankings of hand-computed lists: documents in one list only, ties, empty children, the window. */
class ScoreFusionTests {

    private static ScoreDoc[] docs(float... docAndScore) {
        // pairs (doc, score), best first
        ScoreDoc[] out = new ScoreDoc[docAndScore.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = new ScoreDoc((int) docAndScore[2 * i], docAndScore[2 * i + 1], 0);
        }
        return out;
    }

    @Test
    void rrfSumsWeightedReciprocalRanksAndADocumentInOneListGetsOneTerm() {
        // child 0 ranks docs 1,2; child 1 ranks docs 2,3
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.rrf(60, 1f, 1f), 10).fuse(List.of(docs(1, 9f, 2, 8f), docs(2, 0.9f, 3, 0.8f)));
        assertEquals(3, fused.length);
        assertEquals(2, fused[0].doc);
        assertEquals(1f / 62 + 1f / 61, fused[0].score, 1e-7);
        assertEquals(1, fused[0].rank);
        assertArrayEquals(new int[] {2, 1}, fused[0].childRanks);
        // doc 1 is first in child 0 only (1/61), doc 3 second in child 1 only (1/62)
        assertEquals(1, fused[1].doc);
        assertEquals(1f / 61, fused[1].score, 1e-7);
        assertEquals(3, fused[2].doc);
        assertEquals(1f / 62, fused[2].score, 1e-7);
        assertEquals(HybridRankDoc.NO_RANK, fused[2].childRanks[0]);
        assertTrue(Float.isNaN(fused[2].childScores[0]));
    }

    @Test
    void equalFusedScoresGoToTheLowerDocumentDeterministically() {
        // docs 5 and 4 are each first in one child: both 1/61
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.rrf(60, 1f, 1f), 10).fuse(List.of(docs(5, 9f), docs(4, 0.9f)));
        assertEquals(fused[0].score, fused[1].score, 0f);
        assertEquals(4, fused[0].doc);
        assertEquals(5, fused[1].doc);
    }

    @Test
    void aZeroWeightChildOnlyAddsItsDocumentsAtZero() {
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.rrf(60, 0f, 1f), 10).fuse(List.of(docs(1, 9f, 2, 8f), docs(3, 0.9f, 2, 0.8f)));
        assertEquals(3, fused[0].doc);
        assertEquals(2, fused[1].doc);
        assertEquals(1, fused[2].doc);
        assertEquals(0f, fused[2].score);
    }

    @Test
    void linearMinMaxPutsChildrenOnOneScale() {
        // BM25 20, 10 -> 1, 0; cosine 0.9, 0.5 -> 1, 0; weights 0.25 / 0.75
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.25f, 0.75f), 10)
            .fuse(List.of(docs(1, 20f, 2, 10f), docs(2, 0.9f, 1, 0.5f)));
        assertEquals(2, fused[0].doc);
        assertEquals(0.75f, fused[0].score, 1e-6);
        assertEquals(1, fused[1].doc);
        assertEquals(0.25f, fused[1].score, 1e-6);
    }

    @Test
    void linearZScoreAddsStandardisedDistancesAboveEachListsLowest() {
        // BM25 6, 4, 2 (docs 1, 2, 3) -> 2.44949, 1.22474, 0; cosine 0.8, 0.6 (docs 3, 4) -> 2, 0 (stddev 0.1)
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.linear(ScoreNormalizer.Z_SCORE, 0.5f, 0.5f), 10)
            .fuse(List.of(docs(1, 6f, 2, 4f, 3, 2f), docs(3, 0.8f, 4, 0.6f)));
        assertEquals(1, fused[0].doc);
        assertEquals(1.224745f, fused[0].score, 1e-5);
        assertEquals(3, fused[1].doc);
        assertEquals(1f, fused[1].score, 1e-5);
        assertEquals(2, fused[2].doc);
        assertEquals(4, fused[3].doc);
        assertEquals(0f, fused[3].score, 1e-6);
    }

    @Test
    void anEmptyChildLeavesTheOtherChildsOrder() {
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.5f, 0.5f), 10)
            .fuse(List.of(docs(), docs(7, 0.9f, 5, 0.4f, 6, 0.1f)));
        assertEquals(3, fused.length);
        assertArrayEquals(new int[] {7, 5, 6}, new int[] {fused[0].doc, fused[1].doc, fused[2].doc});
        HybridRankDoc[] none = new ScoreFusion(FusionSpec.rrf(60, 1f, 1f), 10).fuse(List.of(docs(), docs()));
        assertEquals(0, none.length);
    }

    @Test
    void theWindowCutsTheFusedListAndRanksStartAtOne() {
        HybridRankDoc[] fused = new ScoreFusion(FusionSpec.rrf(60, 1f, 1f), 2).fuse(List.of(docs(1, 3f, 2, 2f, 3, 1f), docs(4, 1f)));
        assertEquals(2, fused.length);
        assertEquals(1, fused[0].rank);
        assertEquals(2, fused[1].rank);
    }

    @Test
    void aChildCountOtherThanTheWeightsIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new ScoreFusion(FusionSpec.rrf(60, 1f, 1f), 10).fuse(List.<ScoreDoc[]>of(docs(1, 1f))));
        assertEquals("the fusion has 2 weights but 1 retrievers", e.getMessage());
    }

    @Test
    void candidatesFromTheDenseChildKeepOutBm25OnlyDocumentsAndShowAbsenceInExplain() {
        // BM25 docs 1 (10), 9 (8), 2 (2); dense docs 2 (0.9), 1 (0.8), 3 (0.7), 4 (0.5); candidates: dense's top 3 = 2, 1, 3.
        // BM25 over them 2, 10, 0 -> 0.2, 1, 0 (x 0.4); dense 0.9, 0.8, 0.7 -> 1, 0.5, 0 (x 0.6).
        FusionSpec spec = FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.4f, 0.6f).withCandidates(1, 3);
        HybridRankDoc[] fused = new ScoreFusion(spec, 10).fuse(List.of(docs(1, 10f, 9, 8f, 2, 2f), docs(2, 0.9f, 1, 0.8f, 3, 0.7f, 4, 0.5f)));
        assertEquals(3, fused.length);
        assertEquals(1, fused[0].doc);
        assertEquals(0.7f, fused[0].score, 1e-6f);
        assertEquals(2, fused[1].doc);
        assertEquals(0.68f, fused[1].score, 1e-6f);
        assertEquals(3, fused[2].doc);
        assertEquals(0f, fused[2].score, 1e-6f);
        assertEquals(HybridRankDoc.NO_RANK, fused[2].childRanks[0]);
        assertArrayEquals(new int[] {1, 2}, fused[0].childRanks);
        assertEquals(3, fused[2].rank);
    }
}
