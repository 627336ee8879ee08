package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import io.github.denseretrieval.trainer.model.TorchRuntime;

/**
 * Gradients chosen by hand on a real DJL layer (PyTorch engine): a linear layer {@code y = W x + b}
 * with {@code loss = scale * sum(y)} has gradient {@code scale * x} in every row of {@code W} and
 * {@code scale} in every element of {@code b}, so an input holding an infinity, or huge values,
 * gives the non-finite or huge gradient a test wants.
 */
final class CraftedGradients {

    private CraftedGradients() {}

    /** Two outputs of three inputs, weights from {@code weights}, bias 0 (DJL's default) when {@code bias}. */
    static Linear layer(NDManager manager, Initializer weights, boolean bias) {
        Linear layer = Linear.builder().setUnits(2).optBias(bias).build();
        layer.setInitializer(weights, Parameter.Type.WEIGHT);
        layer.initialize(manager, DataType.FLOAT32, new Shape(1, 3));
        return layer;
    }

    /** Back-propagates {@code scale * sum(layer(input))}, accumulating into the gradients; returns the loss. */
    static float backward(NDManager manager, Linear layer, float[] input, float scale) {
        try (GradientCollector collector = TorchRuntime.engine().newGradientCollector()) {
            NDArray x = manager.create(input, new Shape(1, 3));
            NDArray out = layer.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
            NDArray loss = out.mul(scale).sum();
            collector.backward(loss);
            return loss.getFloat();
        }
    }
}
