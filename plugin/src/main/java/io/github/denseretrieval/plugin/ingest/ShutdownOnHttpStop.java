package io.github.denseretrieval.plugin.ingest;

import org.elasticsearch.common.component.LifecycleListener;

/**
 * Answers queued passages with a retryable 503 as soon as the node's HTTP server begins to stop.
 *
 * <p>On SIGTERM Elasticsearch first stops its HTTP server and waits, without a time limit by
 * default, for every in-flight request to answer; plugins are closed only after that. A bulk
 * request whose passages wait behind a minute of forward passes would hold the whole shutdown for
 * that minute, and its client would hear nothing. Failing the queue when the HTTP server stops lets
 * those requests answer at once (their items retryable elsewhere) while passes already running
 * finish and are indexed.
 */
public final class ShutdownOnHttpStop extends LifecycleListener {

    private final PassageBatchers batchers;

    public ShutdownOnHttpStop(PassageBatchers batchers) {
        this.batchers = batchers;
    }

    @Override
    public void beforeStop() {
        batchers.close();
    }
}
