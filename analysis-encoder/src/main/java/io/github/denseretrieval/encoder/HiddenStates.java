package io.github.denseretrieval.encoder;

import java.nio.FloatBuffer;

/**
 * The transformer's last hidden states for one batch: a {@code [rows, cols, dim]} float tensor in
 * row-major order, as the inference engine returned it. Not thread-safe (it wraps a buffer);
 * confined to the thread that ran the batch.
 */
public record HiddenStates(FloatBuffer values, int rows, int cols, int dim) {

    public HiddenStates {
        long expected = (long) rows * cols * dim;
        if (values.remaining() != expected) {
            throw new IllegalStateException("engine returned " + values.remaining() + " floats, expected "
                + rows + " x " + cols + " x " + dim + " = " + expected);
        }
    }

    /** Copies the vector of token {@code col} of text {@code row} into {@code out} (length {@code dim}). */
    public void copyVector(int row, int col, float[] out) {
        values.get(((row * cols) + col) * dim, out, 0, dim);
    }
}
