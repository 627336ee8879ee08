package io.github.denseretrieval.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import ai.djl.huggingface.tokenizers.Encoding;

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

    /**
     * The indices of {@code encodings}, longest first, cut into groups of {@code batchSize}:
     * batches of similar lengths pad little, and the first batch shows the peak memory.
     */
    public static List<int[]> lengthSortedRows(Encoding[] encodings, int batchSize) {
        return lengthSortedRows(encodings, batchSize, Integer.MAX_VALUE);
    }

    /**
     * The indices of {@code encodings}, longest first, cut into groups of at most {@code batchSize}
     * whose rows x padded length stays within {@code maxBatchTokens}. A group is padded to its first
     * (longest) text, so a group of long texts holds fewer rows; a text longer than
     * {@code maxBatchTokens} on its own forms a group of one.
     */
    public static List<int[]> lengthSortedRows(Encoding[] encodings, int batchSize, int maxBatchTokens) {
        Integer[] order = IntStream.range(0, encodings.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> encodings[i].getIds().length).reversed());
        List<int[]> groups = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            long padded = Math.max(1, encodings[order[start]].getIds().length);
            int fit = (int) Math.max(1, Math.min(batchSize, maxBatchTokens / padded));
            int[] rows = new int[Math.min(fit, order.length - start)];
            for (int r = 0; r < rows.length; r++) {
                rows[r] = order[start + r];
            }
            groups.add(rows);
            start += rows.length;
        }
        return groups;
    }

    /** Pads the encodings at {@code rows} (in that order) to the longest of them. */
    public static TokenBatch pad(Encoding[] encodings, int[] rows) {
        int cols = 0;
        for (int row : rows) {
            cols = Math.max(cols, encodings[row].getIds().length);
        }
        long[] ids = new long[rows.length * cols];
        long[] mask = new long[rows.length * cols];
        long[] types = new long[rows.length * cols];
        for (int r = 0; r < rows.length; r++) {
            Encoding e = encodings[rows[r]];
            long[] eIds = e.getIds();
            System.arraycopy(eIds, 0, ids, r * cols, eIds.length);
            System.arraycopy(e.getAttentionMask(), 0, mask, r * cols, eIds.length);
            System.arraycopy(e.getTypeIds(), 0, types, r * cols, eIds.length);
        }
        return new TokenBatch(ids, mask, types, rows.length, cols);
    }

    /** Shape {@code [rows, cols]} as the engines' tensor APIs want it. */
    public long[] shape() {
        return new long[] {rows, cols};
    }
}
