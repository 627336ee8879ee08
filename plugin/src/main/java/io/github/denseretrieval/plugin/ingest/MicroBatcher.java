package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.common.util.concurrent.EsRejectedExecutionException;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.threadpool.ThreadPool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Collects passages from concurrent ingest documents into batched forward passes: a group goes
 * out when {@value #GROUP_BATCHES} x {@code batchSize} texts are waiting or when the oldest has
 * waited {@code maxWait}, whichever comes first. One batched pass costs far less than the same
 * texts one by one, and handing the encoder several batches' worth at once lets it sort them by
 * length, so each forward pass pads its texts only to similar lengths (a bulk request arrives in
 * document order, where a 20-token and a 512-token passage sit side by side).
 *
 * <p>Bounded: at most {@code maxQueued} texts wait; beyond that a text is refused at once with
 * {@link EsRejectedExecutionException} (HTTP 429, the bulk item fails and can be retried), never
 * an unbounded wait. Batches run on the plugin's own ingest executor, never on a transport or
 * write thread. Thread-safe: the queue is guarded by this object's monitor.
 */
public final class MicroBatcher {

    private record Pending(String text, ActionListener<float[]> listener) {}

    /** Forward-pass batches handed to the encoder together, so that it can sort them by length. */
    static final int GROUP_BATCHES = 4;

    private final Supplier<TextEncoder> encoder;
    private final ThreadPool threadPool;
    private final ExecutorService executor;
    private final int batchSize;
    private final TimeValue maxWait;
    private final int maxQueued;

    private final Deque<Pending> queue = new ArrayDeque<>();
    private boolean flushScheduled;

    /**
     * @param encoder resolved at each batch, so a model reload is picked up by the next batch
     */
    public MicroBatcher(Supplier<TextEncoder> encoder, ThreadPool threadPool, String executorName, int batchSize,
                        TimeValue maxWait, int maxQueued) {
        this.encoder = encoder;
        this.threadPool = threadPool;
        this.executor = threadPool.executor(executorName);
        this.batchSize = batchSize;
        this.maxWait = maxWait;
        this.maxQueued = maxQueued;
    }

    /** Encodes {@code text} as a passage; {@code listener} is called on the ingest executor. */
    public void encodePassage(String text, ActionListener<float[]> listener) {
        List<List<Pending>> ready = new ArrayList<>();
        synchronized (this) {
            if (queue.size() >= maxQueued) {
                listener.onFailure(new EsRejectedExecutionException("dense-retrieval ingest queue is full (" + maxQueued
                    + " passages waiting); retry later or raise dense_retrieval.ingest.max_queued"));
                return;
            }
            queue.add(new Pending(text, listener));
            while (queue.size() >= groupSize()) {
                ready.add(takeBatch());
            }
            if (!queue.isEmpty() && !flushScheduled) {
                flushScheduled = true;
                threadPool.schedule(this::flush, maxWait, executor);
            }
        }
        ready.forEach(this::dispatch);
    }

    private void flush() {
        List<List<Pending>> ready = new ArrayList<>();
        synchronized (this) {
            flushScheduled = false;
            while (!queue.isEmpty()) {
                ready.add(takeBatch());
            }
        }
        ready.forEach(this::dispatch);
    }

    private int groupSize() {
        return batchSize * GROUP_BATCHES;
    }

    private List<Pending> takeBatch() {
        List<Pending> batch = new ArrayList<>(Math.min(groupSize(), queue.size()));
        while (batch.size() < groupSize() && !queue.isEmpty()) {
            batch.add(queue.poll());
        }
        return batch;
    }

    private void dispatch(List<Pending> batch) {
        try {
            executor.execute(() -> run(batch));
        } catch (EsRejectedExecutionException e) {
            batch.forEach(p -> p.listener.onFailure(e));
        }
    }

    private void run(List<Pending> batch) {
        float[][] vectors;
        try {
            vectors = encoder.get().encode(batch.stream().map(Pending::text).toList(), TextRole.PASSAGE);
        } catch (Exception e) {
            // One bad text must not fail its neighbours: retry each alone so only the culprit fails.
            if (batch.size() > 1) {
                batch.forEach(p -> run(List.of(p)));
            } else {
                batch.get(0).listener.onFailure(e);
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).listener.onResponse(vectors[i]);
        }
    }
}
