package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The losses against values worked out by hand. */
class ContrastiveLossTests {

    @Test
    void queryCentricIsTheCrossEntropyOfEachQuestionsPositive() {
        try (NDManager m = TorchRuntime.engine().newBaseManager()) {
            // q0 = e0, q1 = e1; passages: p0 = e0, p1 = e1, one negative n = e0 (a near-duplicate of p0).
            NDArray q = m.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray p = m.create(new float[] {1, 0, 0, 1, 1, 0}, new Shape(3, 2));
            NDArray none = m.zeros(new Shape(2, 3));
            float loss = new ContrastiveLoss(0f, 1f).loss(q, p, none).getFloat();
            // row 0 logits (1, 0, 1): -log(e/(2e+1)); row 1 logits (0, 1, 0): -log(e/(e+2))
            double expected = (-Math.log(Math.E / (2 * Math.E + 1)) - Math.log(Math.E / (Math.E + 2))) / 2;
            assertEquals(expected, loss, 1e-5);
            // Masking the negative for question 0 removes it from that softmax.
            NDArray mask = m.create(new float[] {0, 0, 1, 0, 0, 0}, new Shape(2, 3));
            double masked = (-Math.log(Math.E / (Math.E + 1)) - Math.log(Math.E / (Math.E + 2))) / 2;
            assertEquals(masked, new ContrastiveLoss(0f, 1f).loss(q, p, mask).getFloat(), 1e-4);
        }
    }

    @Test
    void passageCentricScoresThePositiveAgainstOtherPassages() {
        try (NDManager m = TorchRuntime.engine().newBaseManager()) {
            NDArray q = m.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray p = m.create(new float[] {1, 0, 0, 1, 1, 0}, new Shape(3, 2));
            NDArray none = m.zeros(new Shape(2, 3));
            // From p0: s(p0,q0)=1 (target), s(p0,p1)=0, s(p0,n)=1. From p1: s(p1,q1)=1, s(p1,p0)=0, s(p1,n)=0.
            double lp = (-Math.log(Math.E / (2 * Math.E + 1)) - Math.log(Math.E / (Math.E + 2))) / 2;
            double lq = (-Math.log(Math.E / (2 * Math.E + 1)) - Math.log(Math.E / (Math.E + 2))) / 2;
            assertEquals(0.9 * lq + 0.1 * lp, new ContrastiveLoss(0.1f, 1f).loss(q, p, none).getFloat(), 1e-5);
        }
    }

    @Test
    void rejectsMeaninglessSettings() {
        assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss(1.5f, 0.02f));
        assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss(0.1f, 0f));
    }
}
