package io.github.denseretrieval.trainer.train;

import java.util.Locale;

/**
 * How a dual-encoder batch is encoded for its update: through the gradient cache (a pass without a
 * graph, then one with a graph per chunk) or in one pass with a graph over the whole batch. Both
 * give the same gradients; one pass is cheaper, the cache bounds memory by the chunk.
 */
public enum ForwardPasses {
    /** One pass when one device holds the batch and each side of it fits in one chunk, else the cache. */
    AUTO,
    /** Always one pass over the whole batch: memory grows with the batch. One device only. */
    ONE,
    /** Always the gradient cache's two passes, even for a batch within one chunk. */
    TWO;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ForwardPasses fromName(String name) {
        for (ForwardPasses p : values()) {
            if (p.jsonName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown forward passes [" + name + "]; use one of auto, one, two");
    }
}
