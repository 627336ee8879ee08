package io.github.denseretrieval.trainer.train;

/**
 * How one dual-encoder stage trains.
 *
 * @param batchSize            questions per update; with the gradient cache it can exceed memory (RocketQA's cross-batch size)
 * @param chunkSize            texts per forward/backward pass of the gradient cache
 * @param forwardPasses        one forward pass with a graph per batch, or the gradient cache's two ({@link ForwardPasses})
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
public record TrainingSettings(int batchSize, int chunkSize, ForwardPasses forwardPasses, int negativesPerQuestion, int epochs, int maxSteps, float learningRate,
                               float warmupFraction, float weightDecay, float maxGradNorm, float temperature, float alpha, long seed) {

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
        if (negativesPerQuestion < 0) {
            throw new IllegalArgumentException("negatives per question must be >= 0, got " + negativesPerQuestion);
        }
    }

    public TrainingSettings withAlpha(float newAlpha) {
        return new TrainingSettings(batchSize, chunkSize, forwardPasses, negativesPerQuestion, epochs, maxSteps, learningRate, warmupFraction, weightDecay,
            maxGradNorm, temperature, newAlpha, seed);
    }
}
