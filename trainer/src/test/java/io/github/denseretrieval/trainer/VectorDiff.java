package io.github.denseretrieval.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The largest element-wise difference between two sets of vectors, the figure every parity check bounds. */
public final class VectorDiff {

    private VectorDiff() {}

    /** Fails if the two sets differ in count or dimensions; otherwise returns {@code max |a - b|}. */
    public static double maxAbsDiff(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }
}
