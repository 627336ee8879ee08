package io.github.denseretrieval.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Request latencies in milliseconds, recorded by several threads; percentiles by nearest rank. Thread-safe. */
final class Latencies {

    private final List<Double> millis = new ArrayList<>();

    synchronized void add(double ms) {
        millis.add(ms);
    }

    /** Records the time since {@code startNanos} ({@link System#nanoTime()}). */
    void since(long startNanos) {
        add((System.nanoTime() - startNanos) / 1e6);
    }

    synchronized int count() {
        return millis.size();
    }

    /** The {@code q}-th percentile (0-100), or NaN with no samples. */
    synchronized double percentile(double q) {
        if (millis.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(millis);
        sorted.sort(null);
        int rank = (int) Math.ceil(q / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** {@code n=…, p50=… p95=… p99=… ms}. */
    String summary() {
        return String.format(Locale.ROOT, "n=%d p50=%.0f p95=%.0f p99=%.0f ms", count(), percentile(50), percentile(95), percentile(99));
    }
}
