package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.plugin.DenseRetrievalSettings;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.support.ActionFilters;
import org.elasticsearch.action.support.HandledTransportAction;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.injection.guice.Inject;
import org.elasticsearch.tasks.Task;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.transport.TransportService;

import java.util.Arrays;

/**
 * Runs {@link EncodeTextAction} on the plugin's search executor (never a transport thread): the
 * forward pass takes milliseconds to seconds of CPU.
 */
public final class TransportEncodeTextAction extends HandledTransportAction<EncodeTextAction.Request, EncodeTextAction.Response> {

    private final ModelRegistry registry;

    @Inject
    public TransportEncodeTextAction(TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool,
                                     ModelRegistry registry) {
        super(EncodeTextAction.NAME, transportService, actionFilters, EncodeTextAction.Request::new,
            threadPool.executor(DenseRetrievalSettings.SEARCH_EXECUTOR));
        this.registry = registry;
    }

    @Override
    protected void doExecute(Task task, EncodeTextAction.Request request, ActionListener<EncodeTextAction.Response> listener) {
        ActionListener.completeWith(listener, () -> {
            TextEncoder encoder = registry.encoder(request.modelId());
            float[][] vectors = encoder.encode(request.texts(), request.role());
            return new EncodeTextAction.Response(encoder.manifest().name(), Arrays.asList(vectors));
        });
    }
}
