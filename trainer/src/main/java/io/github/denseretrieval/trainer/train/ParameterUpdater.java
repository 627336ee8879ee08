package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies one optimizer step to every trainable parameter of some blocks and clears the gradients.
 * DJL's PyTorch engine accumulates gradients across backward passes (the gradient cache relies
 * on it, one pass per chunk) and does not clear them itself, so this class does after each step.
 *
 * <p>A finite loss can still come with a non-finite gradient (an overflow in one layer's
 * backward pass); handed to AdamW it turns the weights into NaN for good. So every step first
 * checks that all gradients are finite, and skips the update when one is not, counting it.
 * Clearing assigns zeros: subtracting a gradient from itself would keep its NaNs.
 */
final class ParameterUpdater {

    private static final NDIndex ALL = new NDIndex("...");

    private final List<? extends Block> blocks;
    private final Optimizer optimizer;
    private int skipped;

    ParameterUpdater(List<? extends Block> blocks, Optimizer optimizer) {
        this.blocks = List.copyOf(blocks);
        this.optimizer = optimizer;
    }

    /** Updates every trainable parameter, or none when a gradient is not finite; clears the gradients either way. */
    boolean step() {
        List<Parameter> trainable = new ArrayList<>();
        for (Block block : blocks) {
            for (Parameter parameter : block.getParameters().values()) {
                if (parameter.requiresGradient()) {
                    trainable.add(parameter);
                }
            }
        }
        boolean finite = true;
        for (Parameter parameter : trainable) {
            try (NDArray gradient = parameter.getArray().getGradient(); NDArray sum = gradient.sum()) {
                // One reduction per tensor: a NaN or an infinity anywhere makes the sum non-finite.
                finite &= Float.isFinite(sum.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat());
            }
        }
        if (!finite) {
            skipped++;
        }
        for (Parameter parameter : trainable) {
            NDArray weight = parameter.getArray();
            try (NDArray gradient = weight.getGradient()) {
                if (finite) {
                    optimizer.update(parameter.getId(), weight, gradient);
                }
                gradient.set(ALL, 0f);
            }
        }
        return finite;
    }

    /** Steps skipped so far because a gradient was not finite. */
    int skipped() {
        return skipped;
    }
}
