package io.github.denseretrieval.plugin.search;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.plugin.action.EncodeTextAction;
import org.elasticsearch.TransportVersion;
import org.elasticsearch.TransportVersions;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.support.ContextPreservingActionListener;
import org.elasticsearch.client.internal.Client;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.util.concurrent.ThreadContext;
import org.elasticsearch.search.vectors.QueryVectorBuilder;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import static org.elasticsearch.xcontent.ConstructingObjectParser.constructorArg;
import static org.elasticsearch.xcontent.ConstructingObjectParser.optionalConstructorArg;

/**
 * Query vector builder {@code dense_encode}: lets Elasticsearch's own {@code knn} search section,
 * {@code knn} query and {@code knn} retriever take a question as text.
 *
 * <pre>
 * "knn": { "field": "text_vector", "k": 10, "num_candidates": 100,
 *          "query_vector_builder": { "dense_encode": { "model_id": "bge-small-en-v1.5", "text": "..." } } }
 * </pre>
 *
 * Elasticsearch calls {@link #buildVector} once, on the coordinating node, during query rewrite;
 * it runs {@link EncodeTextAction#FOR_SEARCH} with the model's query prefix. It runs that action
 * outside the caller's security context, the way Elasticsearch's own {@code text_embedding}
 * builder runs inference under an internal origin: the search was already authorised against its
 * indices, and encoding its question must need no privilege beyond it.
 */
public final class DenseEncodeVectorBuilder implements QueryVectorBuilder {

    public static final String NAME = "dense_encode";
    static final ParseField MODEL_ID = new ParseField("model_id");
    static final ParseField TEXT = new ParseField("text");

    private static final ConstructingObjectParser<DenseEncodeVectorBuilder, Void> PARSER = new ConstructingObjectParser<>(NAME,
        args -> new DenseEncodeVectorBuilder((String) args[0], (String) args[1]));

    static {
        PARSER.declareString(optionalConstructorArg(), MODEL_ID);
        PARSER.declareString(constructorArg(), TEXT);
    }

    private final String modelId;
    private final String text;

    /** @param modelId null for the default model */
    public DenseEncodeVectorBuilder(String modelId, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] requires a non-empty [text]");
        }
        this.modelId = modelId;
        this.text = text;
    }

    public DenseEncodeVectorBuilder(StreamInput in) throws IOException {
        this.modelId = in.readOptionalString();
        this.text = in.readString();
    }

    public static DenseEncodeVectorBuilder fromXContent(XContentParser parser) {
        return PARSER.apply(parser, null);
    }

    @Override
    public void buildVector(Client client, ActionListener<float[]> listener) {
        ThreadContext threadContext = client.threadPool().getThreadContext();
        Supplier<ThreadContext.StoredContext> callerContext = threadContext.newRestorableContext(false);
        EncodeTextAction.Request request = new EncodeTextAction.Request(modelId, List.of(text), TextRole.QUERY);
        // An empty context makes a local action run as the node itself (with security on, the system
        // user, which may run internal: actions); the listener continues in the caller's context.
        try (ThreadContext.StoredContext ignored = threadContext.stashContext()) {
            client.execute(EncodeTextAction.FOR_SEARCH, request,
                new ContextPreservingActionListener<>(callerContext, listener.map(response -> response.vectors().get(0))));
        }
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    @Override
    public TransportVersion getMinimalSupportedVersion() {
        return TransportVersions.V_8_16_0;
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeOptionalString(modelId);
        out.writeString(text);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        if (modelId != null) {
            builder.field(MODEL_ID.getPreferredName(), modelId);
        }
        builder.field(TEXT.getPreferredName(), text);
        return builder.endObject();
    }

    public String modelId() {
        return modelId;
    }

    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DenseEncodeVectorBuilder other && Objects.equals(modelId, other.modelId) && text.equals(other.text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelId, text);
    }
}
