package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
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

/** Clipping, the finiteness check and true zeroing, each on gradients crafted by {@link CraftedGradients}. */
class ParameterUpdaterTests {

    @Test
    void aNaNGradientSkipsTheStepAndIsClearedToZero() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager);
            Parameter weight = layer.getParameters().get("weight");
            float[] before = weight.getArray().toFloatArray();
            ParameterUpdater updater = new ParameterUpdater(List.of(layer), adamW(), 1f);

            // The input holds an infinity and the output is multiplied by 0: the gradient 0 * inf is NaN.
            backward(manager, layer, new float[] {1f, Float.POSITIVE_INFINITY, 1f}, 0f);
            assertTrue(Float.isNaN(weight.getArray().getGradient().toFloatArray()[1]), "the crafted gradient holds a NaN");
            assertFalse(updater.step());
            assertEquals(1, updater.skipped());
            assertTrue(Double.isNaN(updater.lastNorm()));
            assertEquals(List.of("weight"), updater.lastNonFinite(), "the bias gradient (0) is finite; the weight's holds the NaN");
            assertArrayEquals(before, weight.getArray().toFloatArray(), "weights untouched by the skipped step");
            assertArrayEquals(new float[6], weight.getArray().getGradient().toFloatArray(), "NaN gradients cleared to 0");

            backward(manager, layer, new float[] {1f, 2f, 3f}, 1f);
            assertTrue(updater.step());
            assertEquals(1, updater.skipped());
            assertEquals(List.of(), updater.lastNonFinite());
            float[] after = weight.getArray().toFloatArray();
            for (int i = 0; i < after.length; i++) {
                assertTrue(Float.isFinite(after[i]) && after[i] != before[i], "a finite step moves every weight: " + after[i]);
            }
        }
    }

    @Test
    void anInfiniteGradientWithAFiniteLossIsSkipped() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager, Initializer.ZEROS);
            Parameter weight = layer.getParameters().get("weight");
            float[] before = weight.getArray().toFloatArray();
            ParameterUpdater updater = new ParameterUpdater(List.of(layer), sgd(), 1f);
            // Zero weights and bias: the loss is 0, but the weight gradient 10 * 3e38 overflows float32 to infinity.
            float loss = backward(manager, layer, new float[] {3e38f, 1f, 1f}, 10f);
            assertEquals(0f, loss);
            assertEquals(Float.POSITIVE_INFINITY, weight.getArray().getGradient().toFloatArray()[0]);
            assertFalse(updater.step(), "an infinite gradient must not reach the optimizer");
            assertEquals(1, updater.skipped());
            assertEquals(Double.POSITIVE_INFINITY, updater.lastNorm());
            assertArrayEquals(before, weight.getArray().toFloatArray());
            assertArrayEquals(new float[6], weight.getArray().getGradient().toFloatArray());
        }
    }

    @Test
    void aHugeFiniteGradientIsClippedToTheMaxNormNotSkipped() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager);
            // Every weight's gradient is 3e38, finite in float32, but its square (and the float sum of six of them) is not.
            backward(manager, layer, new float[] {3e38f, 3e38f, 3e38f}, 1f);
            float[] weightsBefore = layer.getParameters().get("weight").getArray().toFloatArray();
            float[] biasBefore = layer.getParameters().get("bias").getArray().toFloatArray();
            ParameterUpdater updater = new ParameterUpdater(List.of(layer), sgd(), 1f);
            assertTrue(updater.step(), "a finite gradient, however large, is applied");
            assertEquals(0, updater.skipped());
            assertEquals(Math.sqrt(6) * 3e38, updater.lastNorm(), 1e32);
            // SGD with learning rate 1: the weight change is minus the clipped gradient.
            float[] weightsAfter = layer.getParameters().get("weight").getArray().toFloatArray();
            float[] biasAfter = layer.getParameters().get("bias").getArray().toFloatArray();
            double squares = 0;
            for (int i = 0; i < weightsAfter.length; i++) {
                double delta = weightsBefore[i] - weightsAfter[i];
                assertEquals(1 / Math.sqrt(6), delta, 1e-6, "each of the six equal gradients becomes 1/sqrt(6)");
                squares += delta * delta;
            }
            for (int i = 0; i < biasAfter.length; i++) {
                squares += Math.pow(biasBefore[i] - biasAfter[i], 2);
            }
            assertEquals(1.0, Math.sqrt(squares), 1e-5, "the applied update has the max norm");
        }
    }

    @Test
    void replicasHoldingOneGradientAreClippedAsOneModel() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear alone = layer(manager);
            Linear first = layer(manager);
            Linear second = layer(manager);
            for (Linear l : List.of(alone, first, second)) {
                backward(manager, l, new float[] {3f, 4f, 0f}, 1f);
            }
            ParameterUpdater single = new ParameterUpdater(List.of(alone), sgd(), 1f);
            ParameterUpdater replicas = new ParameterUpdater(List.of(first, second), sgd(), 1f, 2);
            assertTrue(single.step());
            assertTrue(replicas.step());
            // Weight gradient rows [3, 4, 0] twice, bias gradient [1, 1]: norm sqrt(50 + 2) whether one copy or two are counted.
            assertEquals(Math.sqrt(52), single.lastNorm(), 1e-5);
            assertEquals(single.lastNorm(), replicas.lastNorm(), 1e-5);
            float[] expected = alone.getParameters().get("weight").getArray().toFloatArray();
            assertArrayEquals(expected, first.getParameters().get("weight").getArray().toFloatArray(), 1e-7f);
            assertArrayEquals(expected, second.getParameters().get("weight").getArray().toFloatArray(), 1e-7f);
        }
    }

    @Test
    void aGradientBelowTheMaxNormIsAppliedUnchanged() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager);
            backward(manager, layer, new float[] {0.1f, 0.2f, 0.2f}, 0.1f);
            float[] gradient = layer.getParameters().get("weight").getArray().getGradient().toFloatArray();
            float[] before = layer.getParameters().get("weight").getArray().toFloatArray();
            ParameterUpdater updater = new ParameterUpdater(List.of(layer), sgd(), 1f);
            assertTrue(updater.step());
            float[] after = layer.getParameters().get("weight").getArray().toFloatArray();
            for (int i = 0; i < after.length; i++) {
                assertEquals(gradient[i], before[i] - after[i], 1e-7);
            }
        }
    }

    @Test
    void clearedGradientsDoNotLeakIntoTheNextBackwardPass() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager);
            Parameter weight = layer.getParameters().get("weight");
            ParameterUpdater updater = new ParameterUpdater(List.of(layer), sgd(), 0f);
            backward(manager, layer, new float[] {Float.NaN, 1f, 1f}, 1f);
            assertFalse(updater.step());
            // PyTorch adds each backward pass's gradient to the one there: after a true clear, it is exactly the new one.
            backward(manager, layer, new float[] {1f, 2f, 3f}, 1f);
            assertArrayEquals(new float[] {1f, 2f, 3f, 1f, 2f, 3f}, weight.getArray().getGradient().toFloatArray());
            assertTrue(updater.step());
            assertArrayEquals(new float[6], weight.getArray().getGradient().toFloatArray(), "cleared after an applied step too");
        }
    }

    private static Linear layer(NDManager manager) {
        return layer(manager, Initializer.ONES);
    }

    private static Linear layer(NDManager manager, Initializer weights) {
        return CraftedGradients.layer(manager, weights, true);
    }

    private static Optimizer adamW() {
        return Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.1f)).build();
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(1f)).build();
    }

    private static float backward(NDManager manager, Linear layer, float[] input, float scale) {
        return CraftedGradients.backward(manager, layer, input, scale);
    }
}
