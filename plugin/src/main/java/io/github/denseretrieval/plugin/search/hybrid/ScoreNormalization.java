package io.github.denseretrieval.plugin.search.hybrid;

import java.util.Locale;

/**
 * How {@link FusionMethod#LINEAR} puts one child's scores on a common scale before weighting.
 * BM25 scores are unbounded while cosine scores sit in a narrow band, so a raw sum lets one
 * child dominate; {@link #MIN_MAX} maps each list onto [0, 1], {@link #L2_NORM} divides by the
 * list's Euclidean norm, {@link #NONE} keeps raw scores (for children already on one scale).
 */
public enum ScoreNormalization {
    MIN_MAX,
    L2_NORM,
    NONE;

    public static ScoreNormalization fromName(String name) {
        for (ScoreNormalization n : values()) {
            if (n.name().equalsIgnoreCase(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("[hybrid] unknown [normalizer] [" + name + "]; valid values are [min_max, l2_norm, none]");
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Normalised copies of {@code scores} (one child's list). */
    public float[] apply(float[] scores) {
        float[] out = scores.clone();
        if (out.length == 0 || this == NONE) {
            return out;
        }
        if (this == MIN_MAX) {
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float s : scores) {
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
            float range = max - min;
            for (int i = 0; i < out.length; i++) {
                // A list whose scores are all equal carries no ordering: every document gets the top value.
                out[i] = range > 0 ? (scores[i] - min) / range : 1f;
            }
            return out;
        }
        double sum = 0;
        for (float s : scores) {
            sum += (double) s * s;
        }
        double norm = Math.sqrt(sum);
        for (int i = 0; i < out.length; i++) {
            out[i] = norm > 0 ? (float) (scores[i] / norm) : 0f;
        }
        return out;
    }
}
