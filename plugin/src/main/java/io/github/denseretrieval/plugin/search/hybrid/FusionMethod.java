package io.github.denseretrieval.plugin.search.hybrid;

import java.util.Locale;

/** How the hybrid retriever fuses its children's ranked lists. */
public enum FusionMethod {
    /** Reciprocal rank fusion: {@code sum_i w_i / (rank_constant + rank_i)} (Cormack et al., 2009). */
    RRF,
    /** Weighted sum of normalised scores: {@code sum_i w_i * norm_i(score_i)}. */
    LINEAR;

    public static FusionMethod fromName(String name) {
        for (FusionMethod m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("[hybrid] unknown [fusion] [" + name + "]; valid values are [rrf, linear]");
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
