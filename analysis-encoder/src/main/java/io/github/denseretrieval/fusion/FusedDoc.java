package io.github.denseretrieval.fusion;

import java.util.Arrays;

/**
 * What {@link FusionSpec#fuse} made of one document: its fused score and, per child, its rank,
 * raw score and contribution, for ranking and for {@code explain}. Filled in by the fusion, read
 * by callers.
 */
public final class FusedDoc {

    /** The rank of a document a child did not return. */
    public static final int ABSENT = -1;

    final int[] ranks;
    final float[] rawScores;
    final float[] contributions;
    float score;

    FusedDoc(int children) {
        ranks = new int[children];
        Arrays.fill(ranks, ABSENT);
        rawScores = new float[children];
        Arrays.fill(rawScores, Float.NaN);
        contributions = new float[children];
    }

    public float score() {
        return score;
    }

    /** 1-based rank in child {@code c}'s list, or {@link #ABSENT}. */
    public int rank(int c) {
        return ranks[c];
    }

    /** Child {@code c}'s raw score, NaN when absent. */
    public float rawScore(int c) {
        return rawScores[c];
    }

    /** What child {@code c} added to the fused score (0 when it did not return the document). */
    public float contribution(int c) {
        return contributions[c];
    }
}
