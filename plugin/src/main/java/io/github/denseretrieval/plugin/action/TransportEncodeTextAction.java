package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.encoder.EncodedTexts;
import io.github.denseretrieval.plugin.DenseRetrievalSettings;
import io.github.denseretrieval.plugin.ingest.PassageBatchers;
import io.github.denseretrieval.plugin.ingest.ShutdownOnHttpStop;
import io.github.denseretrieval.plugin.model.EncoderLease;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import io.github.denseretrieval.plugin.stats.ModelStats;
import io.github.denseretrieval.plugin.stats.NodeEncodeStats;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.support.ActionFilters;
import org.elasticsearch.action.support.HandledTransportAction;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.injection.guice.Inject;
import org.elasticsearch.tasks.Task;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.transport.TransportService;

import java.util.Arrays;

/**
 * Runs {@link EncodeTextAction} on the plugin's search executor (never a transport thread): the
 * forward pass takes milliseconds to seconds of CPU. Each request holds an {@link EncoderLease}
 * for its forward pass. {@link ForApi} bounds requests by {@link DenseRetrievalSettings#ENCODE_MAX_TEXTS}
 * and {@link DenseRetrievalSettings#ENCODE_MAX_CHARS} (400 beyond them); {@link ForSearch} encodes
 * one question at a time.
 */
public abstract class TransportEncodeTextAction extends HandledTransportAction<EncodeTextAction.Request, EncodeTextAction.Response> {

    private final ModelRegistry registry;
    private final NodeEncodeStats stats;
    private final int maxTexts;
    private final int maxChars;

    TransportEncodeTextAction(String name, TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool,
                              ModelRegistry registry, NodeEncodeStats stats, int maxTexts, int maxChars) {
        super(name, transportService, actionFilters, EncodeTextAction.Request::new,
            threadPool.executor(DenseRetrievalSettings.SEARCH_EXECUTOR));
        this.registry = registry;
        this.stats = stats;
        this.maxTexts = maxTexts;
        this.maxChars = maxChars;
    }

    @Override
    protected void doExecute(Task task, EncodeTextAction.Request request, ActionListener<EncodeTextAction.Response> listener) {
        ActionListener.completeWith(listener, () -> {
            checkLimits(request);
            try (EncoderLease lease = registry.acquire(request.modelId())) {
                // Counted only once the model is known: ids come from user requests, and a map keyed
                // by every mistyped id would grow without bound.
                ModelStats modelStats = stats.forModel(request.modelId() == null ? ModelRegistry.DEFAULT_MODEL_ID : request.modelId());
                long start = System.nanoTime();
                EncodedTexts encoded;
                try {
                    encoded = lease.encoder().encodeWithCounts(request.texts(), request.role());
                } catch (RuntimeException e) {
                    failed(modelStats);
                    throw e;
                }
                encoded(modelStats, encoded, System.nanoTime() - start);
                return new EncodeTextAction.Response(lease.encoder().manifest().name(), Arrays.asList(encoded.vectors()));
            }
        });
    }

    /** Records a successful call in the node's stats. */
    abstract void encoded(ModelStats modelStats, EncodedTexts encoded, long elapsedNanos);

    /** Records a failed call in the node's stats. */
    abstract void failed(ModelStats modelStats);

    private void checkLimits(EncodeTextAction.Request request) {
        if (request.texts().size() > maxTexts) {
            throw new IllegalArgumentException("[texts] holds " + request.texts().size() + " texts, more than the limit of " + maxTexts
                + " per request ([" + DenseRetrievalSettings.ENCODE_MAX_TEXTS.getKey() + "]); send several requests");
        }
        long chars = 0;
        for (String text : request.texts()) {
            chars += text == null ? 0 : text.length();
        }
        if (chars > maxChars) {
            throw new IllegalArgumentException("[texts] hold " + chars + " characters, more than the limit of " + maxChars
                + " per request ([" + DenseRetrievalSettings.ENCODE_MAX_CHARS.getKey() + "]); send several requests");
        }
    }

    /**
     * {@code POST _dense/models/{id}/_encode}: bounded, needs {@code manage}.
     *
     * <p>Also where the ingest queue learns of a shutdown: Elasticsearch builds transport actions
     * once per node with its own services, and this is the only way a plugin reaches the HTTP
     * server, whose stop is the first step of a graceful shutdown ({@link ShutdownOnHttpStop}).
     */
    public static final class ForApi extends TransportEncodeTextAction {
        @Inject
        public ForApi(TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool, ModelRegistry registry,
                      NodeEncodeStats stats, Settings settings, HttpServerTransport httpServer, PassageBatchers batchers) {
            super(EncodeTextAction.NAME, transportService, actionFilters, threadPool, registry, stats,
                DenseRetrievalSettings.ENCODE_MAX_TEXTS.get(settings), DenseRetrievalSettings.ENCODE_MAX_CHARS.get(settings));
            httpServer.addLifecycleListener(new ShutdownOnHttpStop(batchers));
        }

        @Override
        void encoded(ModelStats modelStats, EncodedTexts encoded, long elapsedNanos) {
            modelStats.apiTextsEncoded(encoded);
        }

        @Override
        void failed(ModelStats modelStats) {
            // A debugging call with a bad text is the caller's to see, not a node health signal.
        }
    }

    /** The question of a search; internal, one text. */
    public static final class ForSearch extends TransportEncodeTextAction {
        @Inject
        public ForSearch(TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool, ModelRegistry registry,
                         NodeEncodeStats stats, Settings settings) {
            super(EncodeTextAction.FOR_SEARCH_NAME, transportService, actionFilters, threadPool, registry, stats, 1,
                DenseRetrievalSettings.ENCODE_MAX_CHARS.get(settings));
        }

        @Override
        void encoded(ModelStats modelStats, EncodedTexts encoded, long elapsedNanos) {
            modelStats.questionEncoded(encoded, elapsedNanos);
        }

        @Override
        void failed(ModelStats modelStats) {
            modelStats.questionFailed();
        }
    }
}
