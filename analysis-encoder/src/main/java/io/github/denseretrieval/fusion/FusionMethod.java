package io.github.denseretrieval.fusion;

import java.util.Locale;

/** How a hybrid search fuses its children's ranked lists (see {@link FusionSpec}). */
public enum FusionMethod {
    /** Reciprocal rank fusion: ranks only. */
    RRF,
    /** Weighted sum of normalised scores. */
    LINEAR;

    public static FusionMethod fromName(String name) {
        for (FusionMethod m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown [fusion] [" + name + "]; valid values are [rrf, linear]");
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
