package io.github.denseretrieval.trainer.train;

/**
 * How one dual-encoder stage trains.
 *
 * @param batchSize            questions per update; with the gradient cache it can exceed memory (RocketQA's cross-batch size)
 * @param chunkSize            texts per forward/backward pass of the gradient cache
 * @param forwardPasses        one forward pass with a graph per batch, or the gradient cache's two ({@link ForwardPasses})
 * @param frozenCache          whether texts seen again skip the embeddings and frozen layers ({@link FrozenCache})
 * @param frozenCacheBytes     heap the frozen-layer cache may take; texts past it run the frozen layers every time
 * @param negativesPerQuestion hard negatives taken from each example (DPR: 1)
 * @param epochs               passes over the examples
 * @param maxSteps             stop after this many updates (0 = no limit; smoke tests)
 * @param learningRate         AdamW peak learning rate (linear warm-up, then linear decay)
 * @param warmupFraction       fraction of the updates spent warming up
 * @param weightDecay          AdamW decoupled weight decay
 * @param maxGradNorm          global gradient norm each update is clipped to (0 = no clipping)
 * @param temperature          similarities are divided by it
 * @param alpha                PAIR's passage-centric weight (0 = query-centric only)
 * @param seed                 shuffling seed
 */
public record TrainingSettings(int batchSize, int chunkSize, ForwardPasses forwardPasses, FrozenCache frozenCache, long frozenCacheBytes,
                               int negativesPerQuestion, int epochs, int maxSteps, float learningRate, float warmupFraction, float weightDecay,
                               float maxGradNorm, float temperature, float alpha, long seed) {

    /** Heap the frozen-layer cache takes unless told otherwise: SciFact's whole corpus at 128 tokens is about 1 GB. */
    public static final long DEFAULT_FROZEN_CACHE_BYTES = 2048L << 20;

    /** Settings with the frozen-layer cache on {@link FrozenCache#AUTO} and its default size. */
    public TrainingSettings(int batchSize, int chunkSize, ForwardPasses forwardPasses, int negativesPerQuestion, int epochs, int maxSteps,
                            float learningRate, float warmupFraction, float weightDecay, float maxGradNorm, float temperature, float alpha, long seed) {
        this(batchSize, chunkSize, forwardPasses, FrozenCache.AUTO, DEFAULT_FROZEN_CACHE_BYTES, negativesPerQuestion, epochs, maxSteps, learningRate,
            warmupFraction, weightDecay, maxGradNorm, temperature, alpha, seed);
    }

    public TrainingSettings {
        if (batchSize < 2) {
            throw new IllegalArgumentException("batch size must be >= 2 (in-batch negatives need other questions), got " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
        }
        if (!(maxGradNorm >= 0) || Float.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("max gradient norm must be a finite number >= 0 (0 = no clipping), got " + maxGradNorm);
        }
        if (frozenCacheBytes < 0) {
            throw new IllegalArgumentException("frozen cache size must be >= 0, got " + frozenCacheBytes);
        }
        if (negativesPerQuestion < 0) {
            throw new IllegalArgumentException("negatives per question must be >= 0, got " + negativesPerQuestion);
        }
    }

    public TrainingSettings withAlpha(float newAlpha) {
        return new TrainingSettings(batchSize, chunkSize, forwardPasses, frozenCache, frozenCacheBytes, negativesPerQuestion, epochs, maxSteps, learningRate,
            warmupFraction, weightDecay, maxGradNorm, temperature, newAlpha, seed);
    }

    /** These settings with the frozen-layer cache set to {@code cache}. */
    public TrainingSettings withFrozenCache(FrozenCache cache) {
        return new TrainingSettings(batchSize, chunkSize, forwardPasses, cache, frozenCacheBytes, negativesPerQuestion, epochs, maxSteps, learningRate,
            warmupFraction, weightDecay, maxGradNorm, temperature, alpha, seed);
    }
}
