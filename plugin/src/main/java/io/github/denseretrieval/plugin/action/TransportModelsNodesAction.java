package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.plugin.model.ModelRegistry;
import io.github.denseretrieval.plugin.model.ModelStatus;
import org.elasticsearch.ResourceNotFoundException;
import org.elasticsearch.action.FailedNodeException;
import org.elasticsearch.action.support.ActionFilters;
import org.elasticsearch.action.support.nodes.TransportNodesAction;
import org.elasticsearch.cluster.node.DiscoveryNode;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.tasks.Task;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.transport.TransportService;

import java.io.IOException;
import java.util.List;

/**
 * Reports (and for {@link ReloadModels}, first reloads) the model registry on every node. Runs on the
 * generic pool: loading a model reads hundreds of megabytes and must not block a transport thread.
 */
public abstract class TransportModelsNodesAction extends TransportNodesAction<ModelsNodesAction.Request, ModelsNodesAction.Response,
    ModelsNodesAction.NodeRequest, ModelsNodesAction.NodeResponse, Void> {

    private final ModelRegistry registry;
    private final boolean reload;

    TransportModelsNodesAction(String name, ClusterService clusterService, TransportService transportService, ActionFilters actionFilters,
                               ThreadPool threadPool, ModelRegistry registry, boolean reload) {
        super(name, clusterService, transportService, actionFilters, ModelsNodesAction.NodeRequest::new,
            threadPool.executor(ThreadPool.Names.GENERIC));
        this.registry = registry;
        this.reload = reload;
    }

    @Override
    protected ModelsNodesAction.Response newResponse(ModelsNodesAction.Request request, List<ModelsNodesAction.NodeResponse> responses,
                                                     List<FailedNodeException> failures) {
        if (request.modelId() != null && failures.isEmpty() && responses.stream().allMatch(r -> r.models().isEmpty())) {
            throw new ResourceNotFoundException("dense-retrieval model [{}] not found on any node", request.modelId());
        }
        return new ModelsNodesAction.Response(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected ModelsNodesAction.NodeRequest newNodeRequest(ModelsNodesAction.Request request) {
        return new ModelsNodesAction.NodeRequest(request.modelId());
    }

    @Override
    protected ModelsNodesAction.NodeResponse newNodeResponse(StreamInput in, DiscoveryNode node) throws IOException {
        return new ModelsNodesAction.NodeResponse(in, node);
    }

    @Override
    protected ModelsNodesAction.NodeResponse nodeOperation(ModelsNodesAction.NodeRequest request, Task task) {
        if (reload) {
            registry.reload();
        }
        List<ModelStatus> statuses = registry.statuses().stream()
            .filter(s -> request.modelId() == null || s.modelId().equals(request.modelId()))
            .toList();
        return new ModelsNodesAction.NodeResponse(clusterService.localNode(), statuses.stream().map(ModelsNodesAction.ModelInfo::of).toList());
    }

    /** {@code GET _dense/models}. */
    public static final class ListModels extends TransportModelsNodesAction {
        @org.elasticsearch.injection.guice.Inject
        public ListModels(ClusterService clusterService, TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool,
                     ModelRegistry registry) {
            super(ModelsNodesAction.LIST_NAME, clusterService, transportService, actionFilters, threadPool, registry, false);
        }
    }

    /** {@code POST _dense/models/_reload}. */
    public static final class ReloadModels extends TransportModelsNodesAction {
        @org.elasticsearch.injection.guice.Inject
        public ReloadModels(ClusterService clusterService, TransportService transportService, ActionFilters actionFilters, ThreadPool threadPool,
                      ModelRegistry registry) {
            super(ModelsNodesAction.RELOAD_NAME, clusterService, transportService, actionFilters, threadPool, registry, true);
        }
    }
}
