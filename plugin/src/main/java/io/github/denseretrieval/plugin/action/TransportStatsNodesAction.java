package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.plugin.ingest.PassageBatchers;
import io.github.denseretrieval.plugin.stats.NodeEncodeStats;
import org.elasticsearch.action.FailedNodeException;
import org.elasticsearch.action.support.ActionFilters;
import org.elasticsearch.action.support.nodes.TransportNodesAction;
import org.elasticsearch.cluster.node.DiscoveryNode;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.injection.guice.Inject;
import org.elasticsearch.tasks.Task;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.transport.TransportService;

import java.io.IOException;
import java.util.List;

/** Collects {@link StatsNodesAction} from every node, on the management pool (it only reads counters). */
public final class TransportStatsNodesAction extends TransportNodesAction<StatsNodesAction.Request, StatsNodesAction.Response,
    StatsNodesAction.NodeRequest, StatsNodesAction.NodeResponse, Void> {

    private final NodeEncodeStats stats;
    private final PassageBatchers batchers;

    @Inject
    public TransportStatsNodesAction(ClusterService clusterService, TransportService transportService, ActionFilters actionFilters,
                                     ThreadPool threadPool, NodeEncodeStats stats, PassageBatchers batchers) {
        super(StatsNodesAction.NAME, clusterService, transportService, actionFilters, StatsNodesAction.NodeRequest::new,
            threadPool.executor(ThreadPool.Names.MANAGEMENT));
        this.stats = stats;
        this.batchers = batchers;
    }

    @Override
    protected StatsNodesAction.Response newResponse(StatsNodesAction.Request request, List<StatsNodesAction.NodeResponse> responses,
                                                    List<FailedNodeException> failures) {
        return new StatsNodesAction.Response(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected StatsNodesAction.NodeRequest newNodeRequest(StatsNodesAction.Request request) {
        return new StatsNodesAction.NodeRequest();
    }

    @Override
    protected StatsNodesAction.NodeResponse newNodeResponse(StreamInput in, DiscoveryNode node) throws IOException {
        return new StatsNodesAction.NodeResponse(in, node);
    }

    @Override
    protected StatsNodesAction.NodeResponse nodeOperation(StatsNodesAction.NodeRequest request, Task task) {
        return new StatsNodesAction.NodeResponse(clusterService.localNode(), stats.snapshot(batchers::unanswered));
    }
}
