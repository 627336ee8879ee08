package io.github.denseretrieval.fusion;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fusion arithmetic on hand-computed lists. */
class FusionSpecTests {

    @Test
    void rrfContributionsFollowRanksAndWeightsNotScores() {
        FusionSpec spec = FusionSpec.rrf(60, 0.3f, 0.7f);
        assertArrayEquals(new float[] {0.3f / 61, 0.3f / 62, 0.3f / 63}, spec.contributions(0, new float[] {25f, 3f, 2.9f}), 1e-9f);
        assertArrayEquals(new float[] {0.7f / 61, 0.7f / 62}, spec.contributions(1, new float[] {0.9f, 0.1f}), 1e-9f);
    }

    @Test
    void minMaxMapsTheListOntoZeroToOneThenWeights() {
        // BM25 12, 8, 4 -> 1, 0.5, 0; times 0.2
        FusionSpec spec = FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.2f, 0.8f);
        assertArrayEquals(new float[] {0.2f, 0.1f, 0f}, spec.contributions(0, new float[] {12f, 8f, 4f}), 1e-7f);
    }

    @Test
    void zScoreIsDistanceAboveTheLowestInStandardDeviations() {
        // scores 6, 4, 2: mean 4, population stddev sqrt(8/3) = 1.63299; (s - 2) / 1.63299 = 2.44949, 1.22474, 0
        float[] z = ScoreNormalizer.Z_SCORE.apply(new float[] {6f, 4f, 2f});
        assertArrayEquals(new float[] {2.44949f, 1.22474f, 0f}, z, 1e-5f);
        // 100, 3, 2, 1: mean 26.5, stddev sqrt(10014 / 4 - 26.5^2) = 42.44114
        assertArrayEquals(new float[] {2.33265f, 0.04712f, 0.02356f, 0f}, ScoreNormalizer.Z_SCORE.apply(new float[] {100f, 3f, 2f, 1f}),
            1e-5f);
    }

    @Test
    void flatAndEmptyListsAndNaNScores() {
        assertArrayEquals(new float[] {1f, 1f}, ScoreNormalizer.MIN_MAX.apply(new float[] {2f, 2f}));
        assertArrayEquals(new float[] {0f, 0f}, ScoreNormalizer.Z_SCORE.apply(new float[] {2f, 2f}));
        assertArrayEquals(new float[] {0f}, ScoreNormalizer.Z_SCORE.apply(new float[] {5f}));
        assertArrayEquals(new float[0], ScoreNormalizer.MIN_MAX.apply(new float[0]));
        assertArrayEquals(new float[0], FusionSpec.rrf(60, 1f, 1f).contributions(0, new float[0]));
        assertArrayEquals(new float[] {1f, 0f}, ScoreNormalizer.MIN_MAX.apply(new float[] {3f, Float.NaN}), 1e-7f);
        assertArrayEquals(new float[] {0.6f, 0.8f}, ScoreNormalizer.L2_NORM.apply(new float[] {3f, 4f}), 1e-6f);
    }

    @Test
    void namesAcceptElasticsearchSpellingsAndRejectOthersListingTheValidOnes() {
        assertEquals(ScoreNormalizer.MIN_MAX, ScoreNormalizer.fromName("minmax"));
        assertEquals(ScoreNormalizer.MIN_MAX, ScoreNormalizer.fromName("min_max"));
        assertEquals(ScoreNormalizer.Z_SCORE, ScoreNormalizer.fromName("z_score"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScoreNormalizer.fromName("softmax"));
        assertEquals("unknown [normalizer] [softmax]; valid values are [min_max, z_score, l2_norm, none]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FusionMethod.fromName("borda"));
        assertEquals("unknown [fusion] [borda]; valid values are [rrf, linear]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FusionSpec(FusionMethod.LINEAR, new float[] {1f, 1f},
            new ScoreNormalizer[] {ScoreNormalizer.NONE}, 0));
    }

    private static final List<List<String>> KEYS = List.of(List.of("a", "x", "b"), List.of("b", "a", "c", "d"));
    private static final List<float[]> SCORES = List.of(new float[] {10f, 8f, 2f}, new float[] {0.9f, 0.8f, 0.7f, 0.5f});

    @Test
    void fusingAllChildrenNormalisesEachOverItsOwnList() {
        // BM25 10, 8, 2 -> 1, 0.75, 0 (x 0.4); dense 0.9, 0.8, 0.7, 0.5 -> 1, 0.75, 0.5, 0 (x 0.6)
        Map<String, FusedDoc> fused = FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.4f, 0.6f).fuse(KEYS, SCORES);
        assertEquals(5, fused.size());
        assertEquals(0.4f + 0.45f, fused.get("a").score(), 1e-6f);
        assertEquals(0.6f, fused.get("b").score(), 1e-6f);
        assertEquals(0.3f, fused.get("x").score(), 1e-6f);
        assertEquals(0.3f, fused.get("c").score(), 1e-6f);
        assertEquals(0f, fused.get("d").score(), 1e-6f);
        assertEquals(FusedDoc.ABSENT, fused.get("c").rank(0));
        assertEquals(3, fused.get("c").rank(1));
    }

    @Test
    void candidatesFromOneChildAreTheOnlyDocumentsAndEveryChildIsNormalisedOverThem() {
        // Candidates: dense's top 3 (b, a, c). BM25 over them: b 2, a 10, c absent = 0 -> 0.2, 1, 0 (x 0.4);
        // dense over them: 0.9, 0.8, 0.7 -> 1, 0.5, 0 (x 0.6). x (BM25 only) and d (dense rank 4) are left out.
        FusionSpec spec = FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.4f, 0.6f).withCandidates(1, 3);
        Map<String, FusedDoc> fused = spec.fuse(KEYS, SCORES);
        assertEquals(List.of("b", "a", "c"), List.copyOf(fused.keySet()));
        assertEquals(0.4f + 0.3f, fused.get("a").score(), 1e-6f);
        assertEquals(0.08f + 0.6f, fused.get("b").score(), 1e-6f);
        assertEquals(0f, fused.get("c").score(), 1e-6f);
        assertEquals(1, fused.get("a").rank(0));
        assertEquals(10f, fused.get("a").rawScore(0));
        assertEquals(FusedDoc.ABSENT, fused.get("c").rank(0));
        assertEquals(0f, fused.get("c").contribution(0));
        assertNull(fused.get("x"));
        assertNull(fused.get("d"));
        // More candidates than the child returned: all of its documents, no error.
        assertEquals(4, spec.withCandidates(1, 50).fuse(KEYS, SCORES).size());
    }

    @Test
    void candidatesNeedLinearFusionAPositiveSizeAndAnExistingChild() {
        assertThrows(IllegalArgumentException.class, () -> FusionSpec.rrf(60, 1f, 1f).withCandidates(1, 10));
        assertThrows(IllegalArgumentException.class, () -> FusionSpec.linear(ScoreNormalizer.MIN_MAX, 1f, 1f).withCandidates(1, 0));
        assertThrows(IllegalArgumentException.class, () -> FusionSpec.linear(ScoreNormalizer.MIN_MAX, 1f, 1f).withCandidates(2, 10));
        assertThrows(IllegalArgumentException.class, () -> FusionSpec.linear(ScoreNormalizer.MIN_MAX, 1f, 1f).fuse(KEYS.subList(0, 1),
            SCORES.subList(0, 1)));
    }
}
