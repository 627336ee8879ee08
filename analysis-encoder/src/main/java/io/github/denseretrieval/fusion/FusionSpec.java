package io.github.denseretrieval.fusion;

import java.util.Arrays;

/**
 * The arithmetic of a hybrid fusion, shared by the search plugin and the tuning tools so that a
 * setting chosen offline scores documents exactly as a node does. Each child contributes, for
 * the document at rank {@code r} (from 1) of its list with score {@code s}: RRF
 * {@code weight / (rankConstant + r)} (Cormack et al., 2009), or linear
 * {@code weight * normalizer(s)}. A document's fused score is the sum over the children whose
 * lists hold it. Immutable.
 *
 * @param normalizers one per child; ignored by RRF
 */
public record FusionSpec(FusionMethod method, float[] weights, ScoreNormalizer[] normalizers, int rankConstant) {

    public FusionSpec {
        if (normalizers.length != weights.length) {
            throw new IllegalArgumentException("one normalizer per weight expected, got " + normalizers.length + " and " + weights.length);
        }
        weights = weights.clone();
        normalizers = normalizers.clone();
    }

    /** A linear fusion with one normaliser for every child. */
    public static FusionSpec linear(ScoreNormalizer normalizer, float... weights) {
        ScoreNormalizer[] n = new ScoreNormalizer[weights.length];
        Arrays.fill(n, normalizer);
        return new FusionSpec(FusionMethod.LINEAR, weights, n, 0);
    }

    /** A weighted RRF. */
    public static FusionSpec rrf(int rankConstant, float... weights) {
        ScoreNormalizer[] n = new ScoreNormalizer[weights.length];
        Arrays.fill(n, ScoreNormalizer.NONE);
        return new FusionSpec(FusionMethod.RRF, weights, n, rankConstant);
    }

    public int children() {
        return weights.length;
    }

    /** What each entry of child {@code child}'s list (scores best first) adds to its document's fused score. */
    public float[] contributions(int child, float[] scores) {
        float[] out = new float[scores.length];
        if (method == FusionMethod.RRF) {
            for (int i = 0; i < out.length; i++) {
                out[i] = weights[child] / (rankConstant + i + 1);
            }
            return out;
        }
        float[] normalized = normalizers[child].apply(scores);
        for (int i = 0; i < out.length; i++) {
            out[i] = weights[child] * normalized[i];
        }
        return out;
    }

    @Override
    public float[] weights() {
        return weights.clone();
    }

    @Override
    public ScoreNormalizer[] normalizers() {
        return normalizers.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusionSpec f && method == f.method && rankConstant == f.rankConstant && Arrays.equals(weights, f.weights)
            && Arrays.equals(normalizers, f.normalizers);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * method.hashCode() + Arrays.hashCode(weights)) + Arrays.hashCode(normalizers) + rankConstant;
    }

    @Override
    public String toString() {
        return method == FusionMethod.RRF ? "rrf(k=" + rankConstant + ", weights=" + Arrays.toString(weights) + ")"
            : "linear(" + Arrays.toString(normalizers) + ", weights=" + Arrays.toString(weights) + ")";
    }
}
