package io.github.denseretrieval.encoder;

import java.util.Locale;

/**
 * How a sentence vector is read off the transformer's last hidden states.
 *
 * <p>{@link #CLS} takes the first token's vector (BGE, DPR); {@link #MEAN} averages the vectors of
 * the non-padding tokens (sentence-transformers models such as all-MiniLM-L6-v2). Stateless.
 */
public enum Pooling {
    CLS,
    MEAN;

    /**
     * Pools one row of a batch.
     *
     * @param hidden the batch's last hidden states, {@code [rows, cols, dim]} row-major
     * @param row    which text of the batch
     * @param mask   the batch's attention mask, {@code [rows, cols]} row-major; 1 = real token
     */
    public float[] pool(HiddenStates hidden, int row, long[] mask) {
        int cols = hidden.cols();
        int dim = hidden.dim();
        float[] out = new float[dim];
        if (this == CLS) {
            hidden.copyVector(row, 0, out);
            return out;
        }
        float[] token = new float[dim];
        int count = 0;
        for (int c = 0; c < cols; c++) {
            if (mask[row * cols + c] == 0) {
                continue;
            }
            hidden.copyVector(row, c, token);
            for (int d = 0; d < dim; d++) {
                out[d] += token[d];
            }
            count++;
        }
        // A text always has at least [CLS] and [SEP], so count is never 0 for tokenizer output.
        for (int d = 0; d < dim; d++) {
            out[d] /= Math.max(count, 1);
        }
        return out;
    }

    /** Parses the manifest's {@code pooling} value ({@code cls} or {@code mean}). */
    public static Pooling fromName(String name) {
        for (Pooling p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling [" + name + "]; valid values are [cls, mean]");
    }

    /** The manifest spelling of this pooling. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
