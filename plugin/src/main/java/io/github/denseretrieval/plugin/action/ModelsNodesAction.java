package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.plugin.model.ModelStatus;
import org.elasticsearch.action.ActionType;
import org.elasticsearch.action.FailedNodeException;
import org.elasticsearch.action.support.nodes.BaseNodeResponse;
import org.elasticsearch.action.support.nodes.BaseNodesRequest;
import org.elasticsearch.action.support.nodes.BaseNodesResponse;
import org.elasticsearch.cluster.ClusterName;
import org.elasticsearch.cluster.node.DiscoveryNode;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.io.stream.Writeable;
import org.elasticsearch.common.unit.ByteSizeValue;
import org.elasticsearch.transport.TransportRequest;
import org.elasticsearch.xcontent.ToXContentObject;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * The model registry of every node: {@link #LIST} reads it ({@code cluster:monitor/}), {@link #RELOAD}
 * re-reads the model folders first ({@code cluster:admin/}, so it needs a manage privilege).
 */
public final class ModelsNodesAction {

    public static final String LIST_NAME = "cluster:monitor/dense_retrieval/models/get";
    public static final String RELOAD_NAME = "cluster:admin/dense_retrieval/models/reload";
    public static final ActionType<Response> LIST = new ActionType<>(LIST_NAME);
    public static final ActionType<Response> RELOAD = new ActionType<>(RELOAD_NAME);

    private ModelsNodesAction() {}

    /** Which model to report ({@code null} = all) on which nodes. */
    public static final class Request extends BaseNodesRequest<Request> {
        private final String modelId;

        public Request(String modelId, String... nodeIds) {
            super(nodeIds);
            this.modelId = modelId;
        }

        public String modelId() {
            return modelId;
        }
    }

    /** The per-node request sent over the wire. */
    public static final class NodeRequest extends TransportRequest {
        private final String modelId;

        public NodeRequest(String modelId) {
            this.modelId = modelId;
        }

        public NodeRequest(StreamInput in) throws IOException {
            super(in);
            this.modelId = in.readOptionalString();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            out.writeOptionalString(modelId);
        }

        public String modelId() {
            return modelId;
        }
    }

    /** One model as one node sees it. */
    public record ModelInfo(String modelId, String folder, boolean bundled, boolean loaded, String engine, String error,
                            String manifestJson, String digest, long nativeBytes, String reloadError) implements Writeable, ToXContentObject {

        public static ModelInfo of(ModelStatus s) {
            return new ModelInfo(s.modelId(), s.folder().toString(), s.bundled(), s.loaded(), s.engine(), s.error(),
                s.manifest() == null ? null : s.manifest().toJson().toString(), s.digest(), s.nativeBytes(), s.reloadError());
        }

        static ModelInfo read(StreamInput in) throws IOException {
            return new ModelInfo(in.readString(), in.readString(), in.readBoolean(), in.readBoolean(), in.readOptionalString(),
                in.readOptionalString(), in.readOptionalString(), in.readOptionalString(), in.readLong(), in.readOptionalString());
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeString(modelId);
            out.writeString(folder);
            out.writeBoolean(bundled);
            out.writeBoolean(loaded);
            out.writeOptionalString(engine);
            out.writeOptionalString(error);
            out.writeOptionalString(manifestJson);
            out.writeOptionalString(digest);
            out.writeLong(nativeBytes);
            out.writeOptionalString(reloadError);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject();
            builder.field("model_id", modelId);
            builder.field("status", loaded ? "loaded" : "failed");
            builder.field("bundled", bundled);
            builder.field("folder", folder);
            if (engine != null) {
                builder.field("engine", engine);
            }
            if (error != null) {
                builder.field("error", error);
            }
            if (digest != null) {
                builder.field("sha256", digest);
            }
            if (nativeBytes >= 0) {
                builder.humanReadableField("native_memory_in_bytes", "native_memory", ByteSizeValue.ofBytes(nativeBytes));
            }
            if (reloadError != null) {
                builder.field("reload_error", reloadError);
            }
            if (manifestJson != null) {
                builder.field("manifest");
                try (var parser = org.elasticsearch.xcontent.json.JsonXContent.jsonXContent.createParser(
                    org.elasticsearch.xcontent.XContentParserConfiguration.EMPTY, manifestJson)) {
                    builder.copyCurrentStructure(parser);
                }
            }
            return builder.endObject();
        }
    }

    /** One node's models. */
    public static final class NodeResponse extends BaseNodeResponse {
        private final List<ModelInfo> models;

        public NodeResponse(DiscoveryNode node, List<ModelInfo> models) {
            super(node);
            this.models = models;
        }

        public NodeResponse(StreamInput in, DiscoveryNode node) throws IOException {
            super(in, node);
            this.models = in.readCollectionAsList(ModelInfo::read);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            out.writeCollection(models);
        }

        public List<ModelInfo> models() {
            return models;
        }
    }

    /** Every node's models, and the nodes that failed to answer. */
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
                b.startArray("models");
                for (ModelInfo m : node.models()) {
                    m.toXContent(b, params);
                }
                b.endArray();
            });
        }
    }
}
