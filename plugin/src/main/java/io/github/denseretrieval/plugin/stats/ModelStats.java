package io.github.denseretrieval.plugin.stats;

import io.github.denseretrieval.encoder.EncodedTexts;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one node has encoded with one model id since it started (across reloads of the model):
 * ingest passages and search questions, their failures, forward passes, texts cut to the model's
 * window, and recent latencies. Thread-safe; counters are {@link LongAdder}s because every ingest
 * and search thread updates them.
 */
public final class ModelStats {

    private final LongAdder passages = new LongAdder();
    private final LongAdder passagesRejected = new LongAdder();
    private final LongAdder passagesFailed = new LongAdder();
    private final LongAdder chunkedDocuments = new LongAdder();
    private final LongAdder chunks = new LongAdder();
    private final LongAdder cappedDocuments = new LongAdder();
    private final LongAdder questions = new LongAdder();
    private final LongAdder questionsFailed = new LongAdder();
    private final LongAdder apiTexts = new LongAdder();
    private final LongAdder forwardPasses = new LongAdder();
    private final LongAdder truncatedTexts = new LongAdder();
    private final LatencyWindow batchLatency = new LatencyWindow();
    private final LatencyWindow questionLatency = new LatencyWindow();

    /** A group of ingest passages was encoded in {@code elapsedNanos}. */
    public void passagesEncoded(EncodedTexts encoded, long elapsedNanos) {
        passages.add(encoded.vectors().length);
        encoded(encoded);
        batchLatency.record(elapsedNanos);
    }

    /** One document was cut into {@code windows} chunks; {@code capped} when its tail did not fit {@code max_chunks}. */
    public void documentChunked(int windows, boolean capped) {
        chunkedDocuments.increment();
        chunks.add(windows);
        if (capped) {
            cappedDocuments.increment();
        }
    }

    /** One ingest passage was refused for back-pressure (429). */
    public void passageRejected() {
        passagesRejected.increment();
    }

    /** One ingest passage failed for any other reason (its own error, model missing, shutdown). */
    public void passageFailed() {
        passagesFailed.increment();
    }

    /** A search question was encoded in {@code elapsedNanos}. */
    public void questionEncoded(EncodedTexts encoded, long elapsedNanos) {
        questions.add(encoded.vectors().length);
        encoded(encoded);
        questionLatency.record(elapsedNanos);
    }

    public void questionFailed() {
        questionsFailed.increment();
    }

    /** Texts encoded through the {@code _encode} API. */
    public void apiTextsEncoded(EncodedTexts encoded) {
        apiTexts.add(encoded.vectors().length);
        encoded(encoded);
    }

    private void encoded(EncodedTexts encoded) {
        forwardPasses.add(encoded.forwardPasses());
        truncatedTexts.add(encoded.truncatedTexts());
    }

    /** The counters now, with {@code queued} passages accepted and not yet answered. */
    public ModelStatsSnapshot snapshot(int queued) {
        return new ModelStatsSnapshot(passages.sum(), passagesRejected.sum(), passagesFailed.sum(), queued, chunkedDocuments.sum(),
            chunks.sum(), cappedDocuments.sum(), questions.sum(),
            questionsFailed.sum(), apiTexts.sum(), forwardPasses.sum(), truncatedTexts.sum(), batchLatency.summary(),
            questionLatency.summary());
    }
}
