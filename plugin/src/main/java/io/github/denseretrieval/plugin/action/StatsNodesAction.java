package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.plugin.stats.ModelStatsSnapshot;
import org.elasticsearch.action.ActionType;
import org.elasticsearch.action.FailedNodeException;
import org.elasticsearch.action.support.nodes.BaseNodeResponse;
import org.elasticsearch.action.support.nodes.BaseNodesRequest;
import org.elasticsearch.action.support.nodes.BaseNodesResponse;
import org.elasticsearch.cluster.ClusterName;
import org.elasticsearch.cluster.node.DiscoveryNode;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.transport.TransportRequest;
import org.elasticsearch.xcontent.ToXContentObject;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code GET _dense/_stats}: what every node has encoded with each model, its back-pressure and
 * recent latencies ({@code cluster:monitor/}, granted by {@code monitor}).
 */
public final class StatsNodesAction {

    public static final String NAME = "cluster:monitor/dense_retrieval/stats";
    public static final ActionType<Response> INSTANCE = new ActionType<>(NAME);

    private StatsNodesAction() {}

    /** Stats of every node (or of the given node ids). */
    public static final class Request extends BaseNodesRequest<Request> {
        public Request(String... nodeIds) {
            super(nodeIds);
        }
    }

    /** The per-node request sent over the wire; it carries nothing. */
    public static final class NodeRequest extends TransportRequest {
        public NodeRequest() {}

        public NodeRequest(StreamInput in) throws IOException {
            super(in);
        }
    }

    /** One node's stats, by model id. */
    public static final class NodeResponse extends BaseNodeResponse {
        private final Map<String, ModelStatsSnapshot> models;

        public NodeResponse(DiscoveryNode node, Map<String, ModelStatsSnapshot> models) {
            super(node);
            this.models = models;
        }

        public NodeResponse(StreamInput in, DiscoveryNode node) throws IOException {
            super(in, node);
            this.models = in.readImmutableMap(ModelStatsSnapshot::read);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            out.writeMap(models, StreamOutput::writeWriteable);
        }

        public Map<String, ModelStatsSnapshot> models() {
            return models;
        }
    }

    /** Every node's stats, and the nodes that failed to answer. */
    public static final class Response extends BaseNodesResponse<NodeResponse> implements ToXContentObject {

        public Response(ClusterName clusterName, List<NodeResponse> nodes, List<FailedNodeException> failures) {
            super(clusterName, nodes, failures);
        }

        @Override
        protected List<NodeResponse> readNodesFrom(StreamInput in) throws IOException {
            return in.readCollectionAsList(i -> new NodeResponse(i, null));
        }

        @Override
        protected void writeNodesTo(StreamOutput out, List<NodeResponse> nodes) throws IOException {
            out.writeCollection(nodes);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            return NodesXContent.write(builder, getNodes(), failures(), (node, b) -> {
                b.startObject("models");
                for (Map.Entry<String, ModelStatsSnapshot> e : node.models().entrySet()) {
                    b.field(e.getKey(), e.getValue());
                }
                b.endObject();
            });
        }
    }
}
