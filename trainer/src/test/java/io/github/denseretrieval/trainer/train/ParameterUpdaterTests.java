package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A crafted non-finite gradient is skipped and cleared; a finite one is applied. */
class ParameterUpdaterTests {

    @Test
    void aNonFiniteGradientSkipsTheStepAndIsClearedToZero() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = Linear.builder().setUnits(2).build();
            layer.setInitializer(Initializer.ONES, Parameter.Type.WEIGHT);
            layer.initialize(manager, DataType.FLOAT32, new Shape(1, 3));
            Parameter weight = layer.getParameters().get("weight");
            float[] before = weight.getArray().toFloatArray();
            ParameterUpdater updater = new ParameterUpdater(List.of(layer),
                Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.1f)).build());

            // A finite loss whose gradient is not: the input holds an infinity and the output is multiplied by 0.
            backward(manager, layer, new float[] {1f, Float.POSITIVE_INFINITY, 1f}, 0f);
            assertFalse(updater.step());
            assertEquals(1, updater.skipped());
            assertArrayEquals(before, weight.getArray().toFloatArray(), "weights untouched by the skipped step");
            assertArrayEquals(new float[6], weight.getArray().getGradient().toFloatArray(), "NaN gradients cleared to 0");

            backward(manager, layer, new float[] {1f, 2f, 3f}, 1f);
            assertTrue(updater.step());
            assertEquals(1, updater.skipped());
            float[] after = weight.getArray().toFloatArray();
            for (int i = 0; i < after.length; i++) {
                assertTrue(Float.isFinite(after[i]) && after[i] != before[i], "a finite step moves every weight: " + after[i]);
            }
        }
    }

    private static void backward(NDManager manager, Linear layer, float[] input, float scale) {
        try (GradientCollector collector = TorchRuntime.engine().newGradientCollector()) {
            NDArray x = manager.create(input, new Shape(1, 3));
            NDArray out = layer.forward(new ai.djl.training.ParameterStore(manager, false), new ai.djl.ndarray.NDList(x), true)
                .singletonOrThrow();
            collector.backward(out.mul(scale).sum());
        }
    }
}
