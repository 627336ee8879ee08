package io.github.denseretrieval.encoder;

/**
 * What one {@link TextEncoder#encodeWithCounts} call produced: one vector per text in the
 * caller's order, how many of the texts were longer than the model's {@code max_seq_length} and
 * were cut to it (their tail did not reach the vector), and how many forward passes ran.
 */
public record EncodedTexts(float[][] vectors, int truncatedTexts, int forwardPasses) {}
