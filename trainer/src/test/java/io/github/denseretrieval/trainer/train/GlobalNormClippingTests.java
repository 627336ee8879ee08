package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The global norm spans every gradient, and clipping scales them all by one factor. */
class GlobalNormClippingTests {

    @Test
    void clipsAllGradientsTogetherByOneFactor() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            NDArray a = manager.create(new float[] {3f, 4f});
            NDArray b = manager.create(new float[] {0f, 12f});
            List<NDArray> gradients = List.of(a, b);
            double norm = GlobalNormClipping.norm(gradients);
            assertEquals(13.0, norm, 1e-9);
            double scale = new GlobalNormClipping(1f).clip(gradients, norm);
            assertEquals(1 / 13.0, scale, 1e-7);
            // Per-tensor clipping would give a = [0.6, 0.8]; global clipping keeps the tensors' proportions.
            assertArrayEquals(new float[] {3f / 13, 4f / 13}, a.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, 12f / 13}, b.toFloatArray(), 1e-6f);
            assertEquals(1.0, GlobalNormClipping.norm(gradients), 1e-6);
        }
    }

    @Test
    void theNormOfHugeFiniteGradientsIsFiniteAndOfNonFiniteOnesIsNot() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            // (1e30)^2 overflows float32; the norm is accumulated in double.
            assertEquals(Math.sqrt(2) * 1e30, GlobalNormClipping.norm(List.of(manager.create(new float[] {1e30f, 1e30f}))), 1e24);
            assertTrue(Double.isNaN(GlobalNormClipping.norm(List.of(manager.create(new float[] {1f}), manager.create(new float[] {Float.NaN})))));
            assertEquals(Double.POSITIVE_INFINITY, GlobalNormClipping.norm(List.of(manager.create(new float[] {Float.NEGATIVE_INFINITY, 1f}))));
        }
    }

    @Test
    void belowTheMaxNormOrWithClippingOffNothingChanges() {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            NDArray g = manager.create(new float[] {0.3f, 0.4f});
            assertEquals(1.0, new GlobalNormClipping(1f).clip(List.of(g), 0.5));
            assertEquals(1.0, new GlobalNormClipping(0f).clip(List.of(g), 1e30));
            assertArrayEquals(new float[] {0.3f, 0.4f}, g.toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> new GlobalNormClipping(-1f));
            assertThrows(IllegalArgumentException.class, () -> new GlobalNormClipping(Float.NaN));
        }
    }
}
