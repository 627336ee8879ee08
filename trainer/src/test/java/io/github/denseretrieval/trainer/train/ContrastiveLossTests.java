package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * Pseudo-labelled data has the layout PAIR pre-trains on: one question repeated once per
     * confident positive, no negatives. Every other column of a row is then masked; the loss and
     * its gradients must stay finite at the trainer's temperature (the masked logits are finite,
     * not -inf, for this reason).
     */
    @Test
    void pseudoLabelledLayoutKeepsLossAndGradientsFinite() {
        try (NDManager m = TorchRuntime.engine().newBaseManager()) {
            int b = 4;
            float[] unit = new float[b * 3];
            for (int i = 0; i < b; i++) {
                unit[i * 3] = 1f;
            }
            NDArray q = m.create(unit, new Shape(b, 3));
            NDArray p = m.randomNormal(new Shape(b, 3));
            p = p.div(p.norm(new int[] {1}, true));
            float[] mask = new float[b * b];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    mask[i * b + j] = i == j ? 0f : 1f;
                }
            }
            q.setRequiresGradient(true);
            p.setRequiresGradient(true);
            float value;
            try (GradientCollector collector = TorchRuntime.engine().newGradientCollector()) {
                NDArray loss = new ContrastiveLoss(0.1f, 0.02f).loss(q, p, m.create(mask, new Shape(b, b)));
                value = loss.getFloat();
                collector.backward(loss);
            }
            // Each row has only its own positive left, so both softmaxes are certain: the loss is 0.
            assertEquals(0f, value, 1e-4);
            for (float g : q.getGradient().toFloatArray()) {
                assertTrue(Float.isFinite(g), "question gradient " + g);
            }
            for (float g : p.getGradient().toFloatArray()) {
                assertTrue(Float.isFinite(g), "passage gradient " + g);
            }
        }
    }

    @Test
    void rejectsMeaninglessSettings() {
        assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss(1.5f, 0.02f));
        assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss(0.1f, 0f));
    }
}
