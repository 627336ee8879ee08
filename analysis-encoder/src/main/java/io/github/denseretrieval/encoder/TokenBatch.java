package io.github.denseretrieval.encoder;

/**
 * One batch of tokenized texts, padded to its longest text (dynamic padding), as the engines take
 * it: {@code [rows, cols]} int64 matrices in row-major order. Immutable by convention: the arrays
 * are handed to the engine as they are, without copies.
 */
public record TokenBatch(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int cols) {

    public TokenBatch {
        int n = rows * cols;
        if (inputIds.length != n || attentionMask.length != n || tokenTypeIds.length != n) {
            throw new IllegalArgumentException("token arrays must hold rows x cols = " + n + " ids");
        }
    }

    /** Shape {@code [rows, cols]} as the engines' tensor APIs want it. */
    public long[] shape() {
        return new long[] {rows, cols};
    }
}
