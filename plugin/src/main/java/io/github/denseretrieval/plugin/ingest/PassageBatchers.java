package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.ChunkingOptions;
import io.github.denseretrieval.encoder.EncodedTexts;
import io.github.denseretrieval.encoder.TextChunks;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.plugin.model.EncoderLease;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import io.github.denseretrieval.plugin.stats.ModelStats;
import io.github.denseretrieval.plugin.stats.NodeEncodeStats;
import org.elasticsearch.ExceptionsHelper;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.threadpool.ThreadPool;

import java.io.Closeable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One {@link MicroBatcher} per model id, created on first use, so that documents for the same
 * model share forward passes. Each group is encoded under an {@link EncoderLease}, so a reload
 * never frees a model under a running pass, and a reload that changes the model is picked up by
 * the next group. Thread-safe.
 */
public final class PassageBatchers implements Closeable {

    private final ModelRegistry registry;
    private final NodeEncodeStats stats;
    private final ThreadPool threadPool;
    private final String executorName;
    private final int batchSize;
    private final TimeValue maxWait;
    private final int maxQueued;
    private final ConcurrentMap<String, MicroBatcher> batchers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** @param maxQueued per model: texts accepted and not yet answered before new ones get 429 */
    public PassageBatchers(ModelRegistry registry, NodeEncodeStats stats, ThreadPool threadPool, String executorName, int batchSize,
                           TimeValue maxWait, int maxQueued) {
        this.registry = registry;
        this.stats = stats;
        this.threadPool = threadPool;
        this.executorName = executorName;
        this.batchSize = batchSize;
        this.maxWait = maxWait;
        this.maxQueued = maxQueued;
    }

    /**
     * Encodes {@code text} as a passage of {@code modelId}, sharing forward passes with other
     * documents; counts the outcome in the node's stats.
     */
    public void encodePassage(String modelId, String text, ActionListener<float[]> listener) {
        ModelStats modelStats = stats.forModel(modelId);
        forModel(modelId).encodePassage(text, listener.delegateResponse((l, e) -> {
            if (ExceptionsHelper.status(e) == RestStatus.TOO_MANY_REQUESTS) {
                modelStats.passageRejected();
            } else {
                modelStats.passageFailed();
            }
            l.onFailure(e);
        }));
    }

    /**
     * Cuts {@code text} into windows of {@code modelId}'s tokens (on the calling thread: tokenizing
     * is cheap next to encoding, and bounded by {@code max_chunks}); counts them in the stats.
     */
    public TextChunks chunk(String modelId, String text, ChunkingOptions options) {
        try (EncoderLease lease = registry.acquire(modelId)) {
            TextChunks chunks = lease.encoder().chunk(text, options);
            stats.forModel(modelId).documentChunked(chunks.chunks().size(), chunks.capped());
            return chunks;
        }
    }

    MicroBatcher forModel(String modelId) {
        MicroBatcher batcher = batchers.computeIfAbsent(modelId, id -> new MicroBatcher(id, texts -> {
            try (EncoderLease lease = registry.acquire(id)) {
                long start = System.nanoTime();
                EncodedTexts encoded = lease.encoder().encodeWithCounts(texts, TextRole.PASSAGE);
                stats.forModel(id).passagesEncoded(encoded, System.nanoTime() - start);
                return encoded.vectors();
            }
        }, threadPool, threadPool.executor(executorName), batchSize, maxWait, maxQueued));
        if (closed) {
            // Created while the node shuts down: it must refuse like the others.
            batcher.close();
        }
        return batcher;
    }

    /** Passages of {@code modelId} accepted and not yet answered. */
    public int unanswered(String modelId) {
        MicroBatcher batcher = batchers.get(modelId);
        return batcher == null ? 0 : batcher.unanswered();
    }

    /** Answers every waiting text with a retryable 503 and refuses new ones (node shutdown). */
    @Override
    public void close() {
        closed = true;
        batchers.values().forEach(MicroBatcher::close);
    }
}
