package io.github.denseretrieval.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.model.TrainableEncoder;

import java.util.List;

/**
 * A batch far larger than memory allows on one device, with exact gradients (Gao et al.'s
 * gradient cache, the single-device form of RocketQA's cross-batch negatives): (1) encode every
 * text without a graph, in chunks; (2) compute the loss over the whole batch's vectors and its
 * gradient with respect to each vector; (3) for each chunk, encode again with a graph and
 * back-propagate {@code sum(vectors * cached gradients)}, which accumulates exactly the
 * parameter gradient of the full-batch loss. Memory grows with the chunk, not the batch; the
 * price is one extra forward pass. Requires a deterministic encoder (no dropout).
 */
final class GradientCache {

    private final TrainableEncoder encoder;
    private final Engine engine;
    private final int chunk;

    GradientCache(TrainableEncoder encoder, Engine engine, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk size must be >= 1, got " + chunk);
        }
        this.encoder = encoder;
        this.engine = engine;
        this.chunk = chunk;
    }

    /** Accumulates the batch's parameter gradients; returns the batch loss. */
    float backward(ContrastiveBatch batch, ContrastiveLoss loss) {
        try (NDManager scope = encoder.manager().newSubManager()) {
            NDArray q = encodeWithoutGraph(scope, batch.queries(), TextRole.QUERY);
            NDArray p = encodeWithoutGraph(scope, batch.passages(), TextRole.PASSAGE);
            q.setRequiresGradient(true);
            p.setRequiresGradient(true);
            NDArray falseNegatives = scope.create(batch.falseNegatives(), new Shape(batch.queries().size(), batch.passages().size()));
            float value;
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray l = loss.loss(q, p, falseNegatives);
                value = l.getFloat();
                collector.backward(l);
            }
            backpropagate(batch.queries(), TextRole.QUERY, q.getGradient());
            backpropagate(batch.passages(), TextRole.PASSAGE, p.getGradient());
            return value;
        }
    }

    private NDArray encodeWithoutGraph(NDManager scope, List<String> texts, TextRole role) {
        float[][] vectors = encoder.encode(texts, role, chunk);
        float[] flat = new float[vectors.length * vectors[0].length];
        for (int i = 0; i < vectors.length; i++) {
            System.arraycopy(vectors[i], 0, flat, i * vectors[i].length, vectors[i].length);
        }
        return scope.create(flat, new Shape(vectors.length, vectors[0].length));
    }

    private void backpropagate(List<String> texts, TextRole role, NDArray gradients) {
        for (int start = 0; start < texts.size(); start += chunk) {
            int end = Math.min(texts.size(), start + chunk);
            // Each chunk's activations live in their own scope, freed before the next chunk runs.
            try (NDManager chunkScope = encoder.manager().newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                NDArray vectors = encoder.embed(chunkScope, texts.subList(start, end), role, true);
                NDArray cached = gradients.get(new NDIndex(start + ":" + end));
                collector.backward(vectors.mul(cached).sum());
            }
        }
    }
}
