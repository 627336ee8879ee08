package io.github.denseretrieval.evaluation.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of a sample of latencies. */
public final class Percentiles {

    private final double[] sorted;

    public Percentiles(double[] sample) {
        if (sample.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        this.sorted = sample.clone();
        Arrays.sort(sorted);
    }

    /** The {@code p}-th percentile, {@code 0 < p <= 100}, by the nearest-rank method. */
    public double at(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
