package io.github.denseretrieval.plugin.search.hybrid;

import org.apache.lucene.search.ScoreDoc;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScoreFusionTests {

    private static ScoreDoc[] docs(float... scoresByDoc) {
        // doc i has score scoresByDoc[i]; the list is given best first
        ScoreDoc[] out = new ScoreDoc[scoresByDoc.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = new ScoreDoc((int) scoresByDoc[2 * i], scoresByDoc[2 * i + 1], 0);
        }
        return out;
    }

    private static ScoreFusion fusion(FusionMethod m, float... weights) {
        ScoreNormalization[] n = new ScoreNormalization[weights.length];
        java.util.Arrays.fill(n, ScoreNormalization.MIN_MAX);
        return new ScoreFusion(m, weights, n, 60, 10);
    }

    @Test
    void rrfSumsReciprocalRanks() {
        // child 0 ranks docs 1,2; child 1 ranks docs 2,3
        HybridRankDoc[] fused = fusion(FusionMethod.RRF, 1f, 1f).fuse(List.of(docs(1, 9f, 2, 8f), docs(2, 0.9f, 3, 0.8f)));
        assertEquals(2, fused[0].doc);
        assertEquals(1f / 62 + 1f / 61, fused[0].score, 1e-7);
        assertEquals(1, fused[0].rank);
        assertArrayEquals(new int[] {2, 1}, fused[0].childRanks);
        // docs 1 and 3 tie at 1/61: the lower doc id comes first, deterministically
        assertEquals(1, fused[1].doc);
        assertEquals(3, fused[2].doc);
    }

    @Test
    void weightsScaleEachChild() {
        HybridRankDoc[] fused = fusion(FusionMethod.RRF, 0f, 1f).fuse(List.of(docs(1, 9f, 2, 8f), docs(3, 0.9f, 2, 0.8f)));
        assertEquals(3, fused[0].doc);
        assertEquals(2, fused[1].doc);
        assertEquals(0f, fused[2].score);
    }

    @Test
    void linearMinMaxPutsChildrenOnOneScale() {
        // BM25 scores 20 and 10 -> 1 and 0; cosine 0.9 and 0.5 -> 1 and 0
        HybridRankDoc[] fused = fusion(FusionMethod.LINEAR, 0.5f, 0.5f).fuse(List.of(docs(1, 20f, 2, 10f), docs(2, 0.9f, 1, 0.5f)));
        assertEquals(0.5f, fused[0].score, 1e-6);
        assertEquals(0.5f, fused[1].score, 1e-6);
    }

    @Test
    void l2NormDividesByTheListNorm() {
        float[] n = ScoreNormalization.L2_NORM.apply(new float[] {3f, 4f});
        assertArrayEquals(new float[] {0.6f, 0.8f}, n, 1e-6f);
        assertArrayEquals(new float[] {1f, 1f}, ScoreNormalization.MIN_MAX.apply(new float[] {2f, 2f}));
    }

    @Test
    void windowCutsTheFusedList() {
        ScoreFusion f = new ScoreFusion(FusionMethod.RRF, new float[] {1f, 1f},
            new ScoreNormalization[] {ScoreNormalization.NONE, ScoreNormalization.NONE}, 60, 2);
        assertEquals(2, f.fuse(List.of(docs(1, 3f, 2, 2f, 3, 1f), docs(4, 1f))).length);
    }

    @Test
    void unknownNamesAreRejectedWithTheValidValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusionMethod.fromName("borda"));
        assertEquals("[hybrid] unknown [fusion] [borda]; valid values are [rrf, linear]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScoreNormalization.fromName("zscore"));
    }
}
