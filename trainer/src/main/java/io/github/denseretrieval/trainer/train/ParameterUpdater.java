package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies one optimizer step to every trainable parameter of some blocks and clears the gradients.
 * DJL's PyTorch engine accumulates gradients across backward passes (the gradient cache relies
 * on it, one pass per chunk) and does not clear them itself, so this class does after each step.
 *
 * <p>Each step: (1) the global norm of all gradients; (2) a finite loss can still come with a
 * non-finite gradient (an overflow in one layer's backward pass), and handed to AdamW it turns the
 * weights into NaN for good, so a non-finite norm skips the update and counts it; (3) otherwise
 * the gradients are clipped to the global norm ({@link GlobalNormClipping}) and applied; (4) the
 * gradients are set to zero either way: assigning zeros clears a NaN, subtracting a gradient from
 * itself would keep it. Not thread-safe (one training thread).
 */
final class ParameterUpdater {

    private static final NDIndex ALL = new NDIndex("...");

    private final List<? extends Block> blocks;
    private final Optimizer optimizer;
    private final GlobalNormClipping clipping;
    private final int copies;
    private int skipped;
    private double lastNorm = Double.NaN;
    private List<String> lastNonFinite = List.of();

    /** @param maxGradNorm global gradient norm the updates are clipped to (0 = no clipping) */
    ParameterUpdater(List<? extends Block> blocks, Optimizer optimizer, float maxGradNorm) {
        this(blocks, optimizer, maxGradNorm, 1);
    }

    /**
     * As above for {@code copies} replicas of one model whose {@code blocks} all hold the same
     * (all-reduced) gradients: the model's gradient norm is the norm over all of them divided by
     * {@code sqrt(copies)}, so that clipping does not depend on the number of devices.
     */
    ParameterUpdater(List<? extends Block> blocks, Optimizer optimizer, float maxGradNorm, int copies) {
        if (copies < 1) {
            throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        }
        this.copies = copies;
        this.blocks = List.copyOf(blocks);
        this.optimizer = optimizer;
        this.clipping = new GlobalNormClipping(maxGradNorm);
    }

    /** Updates every trainable parameter, or none when a gradient is not finite; clears the gradients either way. */
    boolean step() {
        List<Parameter> trainable = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Block block : blocks) {
            for (Pair<String, Parameter> named : block.getParameters()) {
                if (named.getValue().requiresGradient()) {
                    trainable.add(named.getValue());
                    names.add(named.getKey());
                }
            }
        }
        List<NDArray> gradients = new ArrayList<>(trainable.size());
        try {
            for (Parameter parameter : trainable) {
                gradients.add(parameter.getArray().getGradient());
            }
            lastNorm = GlobalNormClipping.norm(gradients) / Math.sqrt(copies);
            boolean finite = Double.isFinite(lastNorm);
            lastNonFinite = finite ? List.of() : nonFinite(names, gradients);
            if (finite) {
                clipping.clip(gradients, lastNorm);
                for (int i = 0; i < trainable.size(); i++) {
                    optimizer.update(trainable.get(i).getId(), trainable.get(i).getArray(), gradients.get(i));
                }
            } else {
                skipped++;
            }
            for (NDArray gradient : gradients) {
                gradient.set(ALL, 0f);
            }
            return finite;
        } finally {
            gradients.forEach(NDArray::close);
        }
    }

    /** The names of the gradients that are not finite (only looked for when the global norm is not: the rare case). */
    private static List<String> nonFinite(List<String> names, List<NDArray> gradients) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < gradients.size(); i++) {
            if (!Double.isFinite(GlobalNormClipping.norm(List.of(gradients.get(i))))) {
                out.add(names.get(i));
            }
        }
        return List.copyOf(out);
    }

    /**
     * The parameters whose gradient was not finite in the last step (empty when it was applied):
     * where a non-finite gradient starts is the first clue to its cause.
     */
    List<String> lastNonFinite() {
        return lastNonFinite;
    }

    /** Steps skipped so far because a gradient was not finite. */
    int skipped() {
        return skipped;
    }

    /** The global gradient norm of the last step, before clipping (NaN or infinite when that step was skipped). */
    double lastNorm() {
        return lastNorm;
    }
}
