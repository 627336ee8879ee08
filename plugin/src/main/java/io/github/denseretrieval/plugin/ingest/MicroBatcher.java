package io.github.denseretrieval.plugin.ingest;

import org.elasticsearch.ElasticsearchException;
import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.common.util.concurrent.AbstractRunnable;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.common.util.concurrent.EsRejectedExecutionException;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.threadpool.Scheduler;

import java.io.Closeable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Collects passages from concurrent ingest documents into batched forward passes: a group goes
 * out when {@value #GROUP_BATCHES} x {@code batchSize} texts are waiting or when the oldest has
 * waited {@code maxWait}, whichever comes first. One batched pass costs far less than the same
 * texts one by one, and handing the encoder several batches' worth at once lets it sort them by
 * length, so each forward pass pads its texts only to similar lengths (a bulk request arrives in
 * document order, where a 20-token and a 512-token passage sit side by side).
 *
 * <p>Bounded: at most {@code maxQueued} texts are accepted and not yet answered (waiting for a
 * group, queued on the executor, or being encoded); beyond that a text is refused at once with
 * {@link EsRejectedExecutionException} (HTTP 429: the bulk item fails and can be retried), never an
 * unbounded wait. Every accepted text is answered exactly once: with its vector, with the error of
 * its forward pass, with a 429 when the executor refuses its group, or with a 503 when the node
 * shuts down ({@link #close()}). Batches run on the plugin's own ingest executor, never on a
 * transport or write thread; listeners are never called under this object's monitor.
 * Thread-safe.
 */
public final class MicroBatcher implements Closeable {

    /** Encodes one group of passages, one vector per text in order; called on the ingest executor. */
    @FunctionalInterface
    public interface BatchEncoder {
        float[][] encode(List<String> texts);
    }

    private record Pending(String text, ActionListener<float[]> listener) {}

    /** Forward-pass batches handed to the encoder together, so that it can sort them by length. */
    static final int GROUP_BATCHES = 4;

    private final String modelId;
    private final BatchEncoder encoder;
    private final Scheduler scheduler;
    private final Executor executor;
    private final int batchSize;
    private final TimeValue maxWait;
    private final int maxQueued;

    private final Deque<Pending> queue = new ArrayDeque<>();
    private int unanswered;
    private boolean flushScheduled;
    private boolean closed;

    /**
     * @param scheduler runs the {@code maxWait} timer; the flush it triggers only hands groups to
     *                  {@code executor}, so it may run on the scheduler's own thread
     * @param maxQueued texts accepted and not yet answered, at most
     */
    public MicroBatcher(String modelId, BatchEncoder encoder, Scheduler scheduler, Executor executor, int batchSize, TimeValue maxWait,
                        int maxQueued) {
        this.modelId = modelId;
        this.encoder = encoder;
        this.scheduler = scheduler;
        this.executor = executor;
        this.batchSize = batchSize;
        this.maxWait = maxWait;
        this.maxQueued = maxQueued;
    }

    /** Encodes {@code text} as a passage; {@code listener} is called once, on the ingest executor or the caller's thread. */
    public void encodePassage(String text, ActionListener<float[]> listener) {
        List<List<Pending>> ready = new ArrayList<>();
        Exception refusal = null;
        boolean scheduleFlush = false;
        synchronized (this) {
            if (closed) {
                refusal = shuttingDown();
            } else if (unanswered >= maxQueued) {
                refusal = new EsRejectedExecutionException("dense-retrieval ingest for model [" + modelId + "] has " + unanswered
                    + " passages accepted and not yet encoded, the limit [dense_retrieval.ingest.max_queued]; retry later, "
                    + "send smaller bulk requests, or raise the limit");
            } else {
                unanswered++;
                queue.add(new Pending(text, ActionListener.notifyOnce(ActionListener.runBefore(listener, this::answered))));
                while (queue.size() >= groupSize()) {
                    ready.add(takeGroup());
                }
                if (queue.isEmpty() == false && flushScheduled == false) {
                    flushScheduled = true;
                    scheduleFlush = true;
                }
            }
        }
        if (refusal != null) {
            listener.onFailure(refusal);
            return;
        }
        ready.forEach(this::dispatch);
        if (scheduleFlush) {
            try {
                scheduler.schedule(this::flush, maxWait, EsExecutors.DIRECT_EXECUTOR_SERVICE);
            } catch (EsRejectedExecutionException e) {
                // The scheduler is shutting down: hand the tail over now rather than strand it.
                flush();
            }
        }
    }

    private synchronized void answered() {
        unanswered--;
    }

    /** Texts accepted and not yet answered (for stats and tests). */
    public synchronized int unanswered() {
        return unanswered;
    }

    private void flush() {
        List<List<Pending>> ready = new ArrayList<>();
        synchronized (this) {
            flushScheduled = false;
            while (queue.isEmpty() == false) {
                ready.add(takeGroup());
            }
        }
        ready.forEach(this::dispatch);
    }

    private int groupSize() {
        return batchSize * GROUP_BATCHES;
    }

    private List<Pending> takeGroup() {
        List<Pending> group = new ArrayList<>(Math.min(groupSize(), queue.size()));
        while (group.size() < groupSize() && queue.isEmpty() == false) {
            group.add(queue.poll());
        }
        return group;
    }

    private void dispatch(List<Pending> group) {
        AbstractRunnable task = new AbstractRunnable() {
            @Override
            protected void doRun() {
                if (isClosed()) {
                    // Handed over before the node began to stop: a graceful shutdown waits for every
                    // in-flight request, so a minute of queued passes must not run now.
                    ElasticsearchStatusException e = shuttingDown();
                    group.forEach(p -> p.listener.onFailure(e));
                    return;
                }
                encodeGroup(group);
            }

            @Override
            public void onFailure(Exception e) {
                // Rejected by a full or closed executor, or an unexpected error: every text is still answered.
                group.forEach(p -> p.listener.onFailure(e));
            }
        };
        try {
            executor.execute(task);
        } catch (EsRejectedExecutionException e) {
            task.onRejection(e);
        }
    }

    private void encodeGroup(List<Pending> group) {
        float[][] vectors;
        try {
            vectors = encoder.encode(group.stream().map(Pending::text).toList());
        } catch (ElasticsearchException e) {
            // The model is unknown, failed, being reloaded or shutting down: no text of the group can succeed.
            group.forEach(p -> p.listener.onFailure(e));
            return;
        } catch (Exception e) {
            // One bad text must not fail its neighbours: retry each alone so only the culprit fails.
            if (group.size() > 1) {
                group.forEach(p -> encodeGroup(List.of(p)));
            } else {
                group.get(0).listener.onFailure(e);
            }
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).listener.onResponse(vectors[i]);
        }
    }

    private ElasticsearchStatusException shuttingDown() {
        return new ElasticsearchStatusException("dense-retrieval ingest for model [{}] is shutting down on this node; retry",
            RestStatus.SERVICE_UNAVAILABLE, modelId);
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Refuses new texts and answers with a retryable 503 every text still waiting for its group or
     * in a group that the executor has not started yet; groups already encoding finish.
     */
    @Override
    public void close() {
        List<Pending> waiting;
        synchronized (this) {
            closed = true;
            waiting = new ArrayList<>(queue);
            queue.clear();
        }
        ElasticsearchStatusException e = shuttingDown();
        waiting.forEach(p -> p.listener.onFailure(e));
    }
}
