package io.github.denseretrieval.plugin.stats;

import java.util.Arrays;

/**
 * The latest {@value #CAPACITY} latencies of one kind of encode call, for percentiles that follow
 * what the node does now rather than since it started. Thread-safe; recording is a short critical
 * section (one array store), cheap next to the forward pass it measures.
 */
final class LatencyWindow {

    static final int CAPACITY = 1024;

    private final long[] nanos = new long[CAPACITY];
    private long recorded;

    synchronized void record(long elapsedNanos) {
        nanos[(int) (recorded % CAPACITY)] = elapsedNanos;
        recorded++;
    }

    /** Percentiles in milliseconds over the window (nearest rank), and how many samples it holds. */
    synchronized LatencySummary summary() {
        int n = (int) Math.min(recorded, CAPACITY);
        if (n == 0) {
            return new LatencySummary(0, 0, 0);
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        return new LatencySummary(n, millis(sorted, 0.50), millis(sorted, 0.99));
    }

    private static double millis(long[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, rank)] / 1e6;
    }
}
