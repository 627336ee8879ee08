package io.github.denseretrieval.encoder;

/**
 * How {@link TextEncoder#chunk} cuts a long text into windows of the model's own tokens.
 *
 * @param maxTokens          tokens per window (the model's special tokens and prefix come on top)
 * @param overlapTokens      tokens a window shares with the previous one, so that a sentence cut at
 *                           a window's end is whole in the next; less than {@code maxTokens}
 * @param maxChunks          windows per text at most; the rest of a longer text is not encoded and
 *                           the result says so ({@link TextChunks#capped()})
 * @param sentenceBoundaries end a window after the last sentence-ending token in its second half,
 *                           when there is one, rather than mid-sentence
 */
public record ChunkingOptions(int maxTokens, int overlapTokens, int maxChunks, boolean sentenceBoundaries) {

    /** Largest window accepted: longer than any model's {@code max_seq_length} this library serves. */
    public static final int MAX_TOKENS = ModelManifest.MAX_SEQ_LENGTH;
    /** Most windows per text accepted: each is a forward pass and a nested document. */
    public static final int MAX_CHUNKS = 10_000;

    public ChunkingOptions {
        if (maxTokens < 8 || maxTokens > MAX_TOKENS) {
            throw new IllegalArgumentException("[max_tokens] must be between 8 and " + MAX_TOKENS + ", got [" + maxTokens + "]");
        }
        if (overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw new IllegalArgumentException("[overlap_tokens] must be between 0 and [max_tokens] - 1 (" + (maxTokens - 1)
                + "), got [" + overlapTokens + "]");
        }
        if (maxChunks < 1 || maxChunks > MAX_CHUNKS) {
            throw new IllegalArgumentException("[max_chunks] must be between 1 and " + MAX_CHUNKS + ", got [" + maxChunks + "]");
        }
    }
}
