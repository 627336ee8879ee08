package io.github.denseretrieval.fusion;

import java.util.Locale;

/**
 * How a linear fusion puts one child's scores on a common scale before weighting them. BM25
 * scores are unbounded and their spread changes from question to question, while cosine scores
 * sit in a narrow band, so a raw sum lets one child dominate. A document absent from a child's
 * list contributes 0 for that child, so every normaliser maps the list's lowest score to 0 or
 * above: absence never beats being ranked.
 */
public enum ScoreNormalizer {
    /** {@code (s - min) / (max - min)}: the list onto [0, 1] (Elasticsearch's {@code minmax}). */
    MIN_MAX("min_max", "minmax"),
    /**
     * {@code (s - min) / stddev}: distances above the list's lowest score in standard deviations,
     * the z-score shifted so that the lowest is 0. Unlike min-max, one outlying top score does not
     * squash the rest of the list, and a flat list (no clear winner) stays flat.
     */
    Z_SCORE("z_score", "zscore"),
    /** {@code s / ||s||}: Elasticsearch's {@code l2_norm} (for children with non-negative scores). */
    L2_NORM("l2_norm", "l2_norm"),
    /** Raw scores, for children already on one scale. */
    NONE("none", "none");

    private final String jsonName;
    private final String alias;

    ScoreNormalizer(String jsonName, String alias) {
        this.jsonName = jsonName;
        this.alias = alias;
    }

    /** Parses a normaliser name; Elasticsearch's spellings ({@code minmax}) are accepted too. */
    public static ScoreNormalizer fromName(String name) {
        for (ScoreNormalizer n : values()) {
            if (n.jsonName.equalsIgnoreCase(name) || n.alias.equalsIgnoreCase(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown [normalizer] [" + name + "]; valid values are [min_max, z_score, l2_norm, none]");
    }

    public String jsonName() {
        return jsonName;
    }

    /** Normalised copies of {@code scores} (one child's list); NaN scores count as 0. */
    public float[] apply(float[] scores) {
        float[] s = new float[scores.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Float.isNaN(scores[i]) ? 0f : scores[i];
        }
        if (s.length == 0 || this == NONE) {
            return s;
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sumSquares = 0;
        for (float v : s) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            sumSquares += (double) v * v;
        }
        double scale = switch (this) {
            case MIN_MAX -> max - min;
            case Z_SCORE -> {
                double mean = sum / s.length;
                yield Math.sqrt(Math.max(0, sumSquares / s.length - mean * mean));
            }
            case L2_NORM -> Math.sqrt(sumSquares);
            case NONE -> throw new AssertionError();
        };
        double offset = this == L2_NORM ? 0 : min;
        float[] out = new float[s.length];
        for (int i = 0; i < out.length; i++) {
            // A list whose scores are all equal carries no ordering: min-max gives every document the
            // top value (it was retrieved), z-score and l2 give 0 (no evidence beyond being retrieved).
            out[i] = scale > 0 ? (float) ((s[i] - offset) / scale) : (this == MIN_MAX ? 1f : 0f);
        }
        return out;
    }

    @Override
    public String toString() {
        return jsonName.toLowerCase(Locale.ROOT);
    }
}
