package io.github.denseretrieval.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TrainableEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * A batch far larger than memory allows on one device, with exact gradients (Gao et al.'s
 * gradient cache, the single-device form of RocketQA's cross-batch negatives): (1) encode every
 * text without a graph, in chunks; (2) compute the loss over the whole batch's vectors and its
 * gradient with respect to each vector; (3) for each chunk, encode again with a graph and
 * back-propagate {@code sum(vectors * cached gradients)}, which accumulates exactly the
 * parameter gradient of the full-batch loss. Memory grows with the chunk, not the batch; the
 * price is one extra forward pass. Requires a deterministic encoder (no dropout).
 *
 * <p>That price buys nothing when the batch needs no splitting: with one device and every side
 * of the batch within one chunk ({@link ForwardPasses#AUTO}), or when told memory allows
 * ({@link ForwardPasses#ONE}), the batch is encoded once with a graph and the loss
 * back-propagated directly, which gives the same gradients (up to float rounding) for one
 * forward pass instead of two.
 *
 * <p>With several {@link Replicas}, chunks go round the devices in steps (1) and (3) and step (2)
 * sees the vectors of all of them: the negatives are gathered across devices. The replicas are
 * driven from this one thread (DJL's PyTorch engine allows one gradient collector at a time);
 * CUDA runs kernels asynchronously, so the devices still overlap.
 *
 * <p>With a {@link FrozenLayerCache}, every pass takes each text's states below the first
 * trainable layer from it (computing and keeping those it lacks), so the frozen layers run once
 * per text rather than once per pass and update. The cache is shared by the replicas: their
 * frozen weights are the same, and it holds plain floats on the heap.
 */
final class GradientCache {

    private final Replicas replicas;
    private final Engine engine;
    private final int chunk;
    private final ForwardPasses passes;
    /** Null: every pass runs the embeddings and frozen layers. */
    private final FrozenLayerCache frozen;

    GradientCache(Replicas replicas, Engine engine, int chunk, ForwardPasses passes) {
        this(replicas, engine, chunk, passes, null);
    }

    /** @param frozen where texts' frozen-layer states are kept, validated against the replicas' encoders; null for none */
    GradientCache(Replicas replicas, Engine engine, int chunk, ForwardPasses passes, FrozenLayerCache frozen) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk size must be >= 1, got " + chunk);
        }
        this.replicas = replicas;
        this.engine = engine;
        this.chunk = chunk;
        if (passes == ForwardPasses.ONE && replicas.size() > 1) {
            // Several devices need the cache: it is what gathers their vectors into one loss.
            throw new IllegalArgumentException("one forward pass per batch needs one device, got " + replicas.size() + "; use --forward-passes auto or two");
        }
        this.passes = passes;
        this.frozen = frozen;
    }

    /** Whether {@code batch} goes through one forward pass with a graph instead of the two of the cache. */
    boolean isSinglePass(ContrastiveBatch batch) {
        return switch (passes) {
            case ONE -> true;
            case TWO -> false;
            case AUTO -> replicas.size() == 1 && batch.queries().size() <= chunk && batch.passages().size() <= chunk;
        };
    }

    /** Accumulates the batch's parameter gradients, each replica those of its own chunks; returns the batch loss. */
    float backward(ContrastiveBatch batch, ContrastiveLoss loss) {
        if (isSinglePass(batch)) {
            return backwardDirectly(batch, loss);
        }
        try (NDManager scope = replicas.primary().manager().newSubManager()) {
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

    /** The plain way: one forward pass with a graph over the whole batch, then the loss's own backward pass. */
    private float backwardDirectly(ContrastiveBatch batch, ContrastiveLoss loss) {
        TrainableEncoder encoder = replicas.primary();
        try (NDManager scope = encoder.manager().newSubManager();
             GradientCollector collector = engine.newGradientCollector()) {
            NDArray q = encoder.embed(scope, batch.queries(), TextRole.QUERY, true, frozen);
            NDArray p = encoder.embed(scope, batch.passages(), TextRole.PASSAGE, true, frozen);
            NDArray falseNegatives = scope.create(batch.falseNegatives(), new Shape(batch.queries().size(), batch.passages().size()));
            NDArray l = loss.loss(q, p, falseNegatives);
            float value = l.getFloat();
            collector.backward(l);
            return value;
        }
    }

    /**
     * {@code [from, to)} ranges of at most {@code chunk} texts, and at least one per replica when
     * there are enough texts, so that every replica takes part (and so has gradients to reduce).
     */
    private List<int[]> chunks(int texts) {
        int size = Math.max(1, Math.min(chunk, (texts + replicas.size() - 1) / replicas.size()));
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < texts; start += size) {
            out.add(new int[] {start, Math.min(texts, start + size)});
        }
        return out;
    }

    /**
     * Each replica encodes all the texts of its chunks in one call, so that its encoder can
     * batch them by length (less padding); with one replica that is the whole batch.
     */
    private NDArray encodeWithoutGraph(NDManager scope, List<String> texts, TextRole role) {
        float[][] vectors = new float[texts.size()][];
        List<int[]> chunks = chunks(texts.size());
        for (int r = 0; r < Math.min(replicas.size(), chunks.size()); r++) {
            List<Integer> rows = new ArrayList<>();
            for (int c = r; c < chunks.size(); c += replicas.size()) {
                for (int i = chunks.get(c)[0]; i < chunks.get(c)[1]; i++) {
                    rows.add(i);
                }
            }
            float[][] part = replicas.forChunk(r).encode(rows.stream().map(texts::get).toList(), role, chunk, frozen);
            for (int i = 0; i < part.length; i++) {
                vectors[rows.get(i)] = part[i];
            }
        }
        float[] flat = new float[vectors.length * vectors[0].length];
        for (int i = 0; i < vectors.length; i++) {
            System.arraycopy(vectors[i], 0, flat, i * vectors[i].length, vectors[i].length);
        }
        return scope.create(flat, new Shape(vectors.length, vectors[0].length));
    }

    private void backpropagate(List<String> texts, TextRole role, NDArray gradients) {
        List<int[]> chunks = chunks(texts.size());
        for (int c = 0; c < chunks.size(); c++) {
            int[] range = chunks.get(c);
            TrainableEncoder replica = replicas.forChunk(c);
            // Each chunk's activations live in their own scope, freed before the next chunk runs.
            try (NDManager chunkScope = replica.manager().newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                NDArray vectors = replica.embed(chunkScope, texts.subList(range[0], range[1]), role, true, frozen);
                NDArray cached = gradients.get(new NDIndex(range[0] + ":" + range[1])).toDevice(vectors.getDevice(), false);
                collector.backward(vectors.mul(cached).sum());
            }
        }
    }
}
