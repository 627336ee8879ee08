package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.plugin.model.ModelRegistry;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.threadpool.ThreadPool;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One {@link MicroBatcher} per model id, created on first use, so that documents for the same
 * model share forward passes. Thread-safe.
 */
public final class PassageBatchers {

    private final ModelRegistry registry;
    private final ThreadPool threadPool;
    private final String executorName;
    private final int batchSize;
    private final TimeValue maxWait;
    private final int maxQueued;
    private final ConcurrentMap<String, MicroBatcher> batchers = new ConcurrentHashMap<>();

    public PassageBatchers(ModelRegistry registry, ThreadPool threadPool, String executorName, int batchSize, TimeValue maxWait,
                           int maxQueued) {
        this.registry = registry;
        this.threadPool = threadPool;
        this.executorName = executorName;
        this.batchSize = batchSize;
        this.maxWait = maxWait;
        this.maxQueued = maxQueued;
    }

    public MicroBatcher forModel(String modelId) {
        return batchers.computeIfAbsent(modelId,
            id -> new MicroBatcher(() -> registry.encoder(id), threadPool, executorName, batchSize, maxWait, maxQueued));
    }
}
