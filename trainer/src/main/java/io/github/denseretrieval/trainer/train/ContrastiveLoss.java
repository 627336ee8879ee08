package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.github.denseretrieval.trainer.model.GraphScalar;

/**
 * The dual-encoder losses of DPR, RocketQA and PAIR over one batch of vectors.
 *
 * <p>{@code q} is {@code [B, H]} (one row per question) and {@code p} is {@code [N, H]}, N >= B,
 * where row {@code i < B} is question {@code i}'s positive and the other rows are every
 * question's negatives (hard negatives and, through the shared matrix, in-batch and cross-batch
 * negatives). {@code falseNegatives} is a {@code [B, N]} 0/1 matrix marking passages that are
 * known positives of question {@code i} other than column {@code i} (the same passage can be
 * judged for two questions of a batch); they are removed from the softmax instead of being
 * pushed away. Similarities are dot products divided by a temperature.
 */
public final class ContrastiveLoss {

    /** Subtracted from masked logits: far below any scaled cosine, still finite. */
    private static final float MASKED = 1e4f;

    private final float alpha;
    private final float scale;

    /**
     * @param alpha       PAIR's weight of the passage-centric loss; 0 gives DPR/RocketQA's loss
     * @param temperature divides every similarity (normalised encoders need it well below 1)
     */
    public ContrastiveLoss(float alpha, float temperature) {
        if (alpha < 0 || alpha > 1) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        this.alpha = alpha;
        this.scale = 1f / temperature;
    }

    /** {@code (1 - alpha) L_Q + alpha L_P}, a scalar. */
    public NDArray loss(NDArray q, NDArray p, NDArray falseNegatives) {
        NDArray queryCentric = queryCentric(q, p, falseNegatives);
        if (alpha == 0) {
            return queryCentric;
        }
        return queryCentric.mul(GraphScalar.of(q, 1 - alpha)).add(passageCentric(q, p, falseNegatives).mul(GraphScalar.of(q, alpha)));
    }

    /** {@code L_Q}: question {@code i} must score its positive above every other passage. */
    NDArray queryCentric(NDArray q, NDArray p, NDArray falseNegatives) {
        return diagonalCrossEntropy(q.matMul(p.transpose()).mul(GraphScalar.of(q, scale)).sub(falseNegatives.mul(MASKED)));
    }

    /**
     * {@code L_P}: seen from positive {@code p+_i}, question {@code i} must be closer than any
     * other passage. Column {@code i} of the passage-passage matrix (the positive with itself)
     * is replaced by {@code s(p+_i, q_i)}, which then is the target of row {@code i}.
     */
    NDArray passageCentric(NDArray q, NDArray p, NDArray falseNegatives) {
        long b = q.getShape().get(0);
        long n = p.getShape().get(0);
        NDArray positives = p.get(new NDIndex("0:" + b));
        NDArray passagePassage = positives.matMul(p.transpose());
        NDArray passageQuestion = positives.mul(q).sum(new int[] {1}).expandDims(1);
        NDArray eye = p.getManager().eye((int) b, (int) n, 0, DataType.FLOAT32);
        NDArray logits = passagePassage.mul(eye.neg().add(1f)).add(eye.mul(passageQuestion));
        return diagonalCrossEntropy(logits.mul(GraphScalar.of(logits, scale)).sub(falseNegatives.mul(MASKED)));
    }

    /** Mean negative log-softmax of entry {@code (i, i)} of each row. */
    private static NDArray diagonalCrossEntropy(NDArray logits) {
        long rows = logits.getShape().get(0);
        long cols = logits.getShape().get(1);
        NDArray target = logits.getManager().eye((int) rows, (int) cols, 0, DataType.FLOAT32);
        return logits.logSoftmax(1).mul(target).sum(new int[] {1}).neg().mean();
    }
}
