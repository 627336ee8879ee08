package io.github.denseretrieval.fusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
