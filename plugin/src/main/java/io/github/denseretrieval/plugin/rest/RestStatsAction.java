package io.github.denseretrieval.plugin.rest;

import io.github.denseretrieval.plugin.action.StatsNodesAction;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.action.RestToXContentListener;

import java.util.List;

import static org.elasticsearch.rest.RestRequest.Method.GET;

/** {@code GET _dense/_stats}: every node's encode counters, queued passages and latencies by model. */
public final class RestStatsAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "dense_retrieval_stats";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(GET, "/_dense/_stats"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        return channel -> client.execute(StatsNodesAction.INSTANCE, new StatsNodesAction.Request(), new RestToXContentListener<>(channel));
    }
}
