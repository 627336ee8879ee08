package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.List;

/**
 * Global-norm gradient clipping, as PyTorch's {@code clip_grad_norm_}: the gradients of all
 * trainable parameters are one vector; when its L2 norm exceeds {@code maxNorm}, every gradient
 * is scaled by {@code maxNorm / (norm + 1e-6)}, which keeps the update's direction and bounds its
 * size. DJL's {@code optClipGrad} is no substitute: on PyTorch it clamps each element from above
 * only. Stateless; gradients are scaled in place.
 */
final class GlobalNormClipping {

    private final float maxNorm;

    /** @param maxNorm the largest global gradient norm let through; 0 turns clipping off */
    GlobalNormClipping(float maxNorm) {
        if (!(maxNorm >= 0) || Float.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("max gradient norm must be a finite number >= 0 (0 = no clipping), got " + maxNorm);
        }
        this.maxNorm = maxNorm;
    }

    /**
     * The L2 norm of all {@code gradients} together: NaN or infinite exactly when one of their
     * elements is. Summed in double, since a finite float32 gradient above about 1.8e19 squares
     * past float range and would look infinite.
     */
    static double norm(List<NDArray> gradients) {
        double sumOfSquares = 0;
        for (NDArray g : gradients) {
            try (NDArray wide = g.toType(DataType.FLOAT64, true); NDArray squares = wide.square(); NDArray sum = squares.sum()) {
                sumOfSquares += sum.getDouble();
            }
        }
        return Math.sqrt(sumOfSquares);
    }

    /** Scales {@code gradients}, whose global norm is {@code norm}, down to {@code maxNorm} if above it; returns the factor used. */
    double clip(List<NDArray> gradients, double norm) {
        if (maxNorm == 0 || !(norm > maxNorm)) {
            return 1;
        }
        double scale = maxNorm / (norm + 1e-6);
        for (NDArray g : gradients) {
            g.muli((float) scale);
        }
        return scale;
    }
}
