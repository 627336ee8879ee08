package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;

import java.util.List;

/**
 * Applies one optimizer step to every trainable parameter of some blocks and clears the gradients.
 * DJL's PyTorch engine accumulates gradients across backward passes (the gradient cache relies
 * on it, one pass per chunk) and does not clear them itself, so this class does after each step.
 */
final class ParameterUpdater {

    private final List<? extends Block> blocks;
    private final Optimizer optimizer;

    ParameterUpdater(List<? extends Block> blocks, Optimizer optimizer) {
        this.blocks = List.copyOf(blocks);
        this.optimizer = optimizer;
    }

    void step() {
        for (Block block : blocks) {
            step(block);
        }
    }

    private void step(Block block) {
        for (Parameter parameter : block.getParameters().values()) {
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray weight = parameter.getArray();
            try (NDArray gradient = weight.getGradient()) {
                optimizer.update(parameter.getId(), weight, gradient);
                gradient.subi(gradient);
            }
        }
    }
}
