package io.github.denseretrieval.it;

import java.util.Map;
import java.util.TreeMap;

/**
 * How many answers of each kind a load client got: an HTTP status ({@code "201"}, {@code "429"})
 * or a transport failure ({@code "io:ConnectException"}). Thread-safe.
 */
final class StatusCounts {

    private final Map<String, Integer> counts = new TreeMap<>();

    synchronized void add(String kind) {
        counts.merge(kind, 1, Integer::sum);
    }

    void add(int status) {
        add(Integer.toString(status));
    }

    synchronized int get(String kind) {
        return counts.getOrDefault(kind, 0);
    }

    synchronized int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Answers other than 2xx and the given retryable statuses (e.g. 429, 503). */
    synchronized int otherThan2xxAnd(String... retryable) {
        int n = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getKey().startsWith("2") || java.util.Arrays.asList(retryable).contains(e.getKey())) {
                continue;
            }
            n += e.getValue();
        }
        return n;
    }

    synchronized Map<String, Integer> asMap() {
        return new TreeMap<>(counts);
    }

    @Override
    public synchronized String toString() {
        return counts.toString();
    }
}
