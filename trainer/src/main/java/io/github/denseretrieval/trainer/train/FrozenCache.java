package io.github.denseretrieval.trainer.train;

import java.util.Locale;

/**
 * Whether training keeps each text's hidden states below the first trainable layer
 * ({@link io.github.denseretrieval.trainer.model.FrozenLayerCache}) so that a text seen again (the
 * next epoch, a passage that is one question's positive and another's negative, the gradient
 * cache's second pass) runs only the trainable layers. Costs heap: every kept text's real tokens x
 * hidden floats.
 */
public enum FrozenCache {
    /** On when at least one transformer layer is frozen (with only the embeddings frozen it would save a 13th of the work). */
    AUTO,
    /** On whenever the embeddings are frozen, even with no frozen layer. */
    ON,
    /** Every update runs every text through the embeddings and frozen layers (the path before issue 18). */
    OFF;

    /** Whether a tower with {@code frozenLayers} frozen layers ({@code -1}: nothing frozen) trains through the cache. */
    public boolean enabled(int frozenLayers) {
        return switch (this) {
            case AUTO -> frozenLayers > 0;
            case ON -> frozenLayers >= 0;
            case OFF -> false;
        };
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FrozenCache fromName(String name) {
        for (FrozenCache c : values()) {
            if (c.jsonName().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown frozen cache [" + name + "]; use one of auto, on, off");
    }
}
