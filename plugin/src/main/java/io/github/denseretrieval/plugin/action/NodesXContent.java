package io.github.denseretrieval.plugin.action;

import org.elasticsearch.action.FailedNodeException;
import org.elasticsearch.action.support.nodes.BaseNodeResponse;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * The JSON shape shared by the plugin's per-node APIs: {@code {"nodes": {"<id>": {"name": ..., <body>}}, "failures": [...]}},
 * so that every API reports the nodes that did not answer the same way.
 */
final class NodesXContent {

    /** Writes one node's own fields into its object. */
    @FunctionalInterface
    interface NodeBody<N> {
        void write(N node, XContentBuilder builder) throws IOException;
    }

    private NodesXContent() {}

    static <N extends BaseNodeResponse> XContentBuilder write(XContentBuilder builder, List<N> nodes, List<FailedNodeException> failures,
                                                               NodeBody<N> body) throws IOException {
        builder.startObject();
        builder.startObject("nodes");
        for (N node : nodes) {
            builder.startObject(node.getNode().getId());
            builder.field("name", node.getNode().getName());
            body.write(node, builder);
            builder.endObject();
        }
        builder.endObject();
        if (failures.isEmpty() == false) {
            builder.startArray("failures");
            for (FailedNodeException f : failures) {
                builder.startObject().field("node_id", f.nodeId()).field("reason", f.getDetailedMessage()).endObject();
            }
            builder.endArray();
        }
        return builder.endObject();
    }
}
