package io.github.denseretrieval.plugin.rest;

import io.github.denseretrieval.plugin.action.ModelsNodesAction;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.action.RestToXContentListener;

import java.util.List;

import static org.elasticsearch.rest.RestRequest.Method.GET;
import static org.elasticsearch.rest.RestRequest.Method.POST;

/**
 * {@code GET _dense/models}, {@code GET _dense/models/{model_id}}: every node's models with their
 * manifest, engine and status; {@code POST _dense/models/_reload}: re-read the model folders on
 * every node first.
 */
public final class RestModelsAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "dense_retrieval_models";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(GET, "/_dense/models"), new Route(GET, "/_dense/models/{model_id}"),
            new Route(POST, "/_dense/models/_reload"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        boolean reload = request.method() == POST;
        String modelId = reload ? null : request.param("model_id");
        ModelsNodesAction.Request nodesRequest = new ModelsNodesAction.Request(modelId);
        return channel -> client.execute(reload ? ModelsNodesAction.RELOAD : ModelsNodesAction.LIST, nodesRequest,
            new RestToXContentListener<>(channel));
    }
}
