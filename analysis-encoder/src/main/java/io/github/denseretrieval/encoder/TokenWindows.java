package io.github.denseretrieval.encoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a tokenized text into overlapping windows of whole tokens and maps each window back to
 * the characters it covers. Pure arithmetic on token offsets, so it is tested without a model.
 * Stateless and thread-safe.
 */
final class TokenWindows {

    private TokenWindows() {}

    /**
     * @param text   the original text
     * @param starts UTF-16 start offset of each token, in order
     * @param ends   UTF-16 end offset of each token (exclusive)
     */
    static TextChunks windows(String text, int[] starts, int[] ends, ChunkingOptions options) {
        int n = starts.length;
        List<TextChunk> chunks = new ArrayList<>();
        int start = 0;
        while (start < n && chunks.size() < options.maxChunks()) {
            int end = Math.min(start + options.maxTokens(), n);
            if (options.sentenceBoundaries() && end < n) {
                end = sentenceEnd(text, ends, start, end, options.maxTokens());
            }
            int from = starts[start];
            int to = ends[end - 1];
            chunks.add(new TextChunk(chunks.size(), from, to, text.substring(from, to)));
            if (end == n) {
                return new TextChunks(chunks, false);
            }
            // Step back by the overlap, but always move forward by at least one token.
            start = Math.max(end - options.overlapTokens(), start + 1);
        }
        return new TextChunks(chunks, start < n);
    }

    /** The end (exclusive) of a window starting at {@code start}: after the last sentence end in its second half, else {@code end}. */
    private static int sentenceEnd(String text, int[] ends, int start, int end, int maxTokens) {
        int earliest = start + Math.max(1, maxTokens / 2);
        for (int i = end - 1; i >= earliest; i--) {
            int last = ends[i] - 1;
            if (last >= 0 && last < text.length() && isSentenceEnd(text.charAt(last))) {
                return i + 1;
            }
        }
        return end;
    }

    private static boolean isSentenceEnd(char c) {
        return c == '.' || c == '!' || c == '?' || c == '\u3002' || c == '\uFF01' || c == '\uFF1F';
    }
}
