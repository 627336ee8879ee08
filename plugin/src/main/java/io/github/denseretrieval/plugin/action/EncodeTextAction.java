package io.github.denseretrieval.plugin.action;

import io.github.denseretrieval.encoder.TextRole;
import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.ActionRequestValidationException;
import org.elasticsearch.action.ActionResponse;
import org.elasticsearch.action.ActionType;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.xcontent.ToXContentObject;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * Encodes texts with a model on the node that receives the request, under two action names with
 * the same request and response:
 * <ul>
 *   <li>{@link #INSTANCE} ({@value #NAME}) serves the REST {@code _encode} API. It can turn any
 *       amount of text into vectors, so it is an administrator's action ({@code cluster:admin/},
 *       granted by the {@code manage} cluster privilege) and its requests are bounded;</li>
 *   <li>{@link #FOR_SEARCH} ({@value #FOR_SEARCH_NAME}) encodes the question of a search the caller
 *       is already allowed to run ({@code dense} query, {@code dense_encode} vector builder, hybrid
 *       retriever). The search's own index privileges are what guard it, so it runs in the node's
 *       internal context: a user with only {@code read} on an index can search it. An
 *       {@code internal:} action cannot be called by users.</li>
 * </ul>
 */
public final class EncodeTextAction {

    public static final String NAME = "cluster:admin/dense_retrieval/encode";
    public static final ActionType<Response> INSTANCE = new ActionType<>(NAME);
    public static final String FOR_SEARCH_NAME = "internal:dense_retrieval/encode_question";
    public static final ActionType<Response> FOR_SEARCH = new ActionType<>(FOR_SEARCH_NAME);

    private EncodeTextAction() {}

    /** Texts to encode with one model in one role. */
    public static final class Request extends ActionRequest {
        private final String modelId;
        private final List<String> texts;
        private final TextRole role;

        public Request(String modelId, List<String> texts, TextRole role) {
            this.modelId = modelId;
            this.texts = List.copyOf(texts);
            this.role = role;
        }

        public Request(StreamInput in) throws IOException {
            super(in);
            this.modelId = in.readOptionalString();
            this.texts = in.readStringCollectionAsList();
            this.role = in.readEnum(TextRole.class);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            out.writeOptionalString(modelId);
            out.writeStringCollection(texts);
            out.writeEnum(role);
        }

        @Override
        public ActionRequestValidationException validate() {
            ActionRequestValidationException e = null;
            if (texts.isEmpty()) {
                e = new ActionRequestValidationException();
                e.addValidationError("[texts] must hold at least one text");
            }
            return e;
        }

        public String modelId() {
            return modelId;
        }

        public List<String> texts() {
            return texts;
        }

        public TextRole role() {
            return role;
        }
    }

    /** One vector per text, in order. */
    public static final class Response extends ActionResponse implements ToXContentObject {
        private final String modelId;
        private final List<float[]> vectors;

        public Response(String modelId, List<float[]> vectors) {
            this.modelId = modelId;
            this.vectors = vectors;
        }

        public Response(StreamInput in) throws IOException {
            this.modelId = in.readString();
            this.vectors = in.readCollectionAsList(StreamInput::readFloatArray);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeString(modelId);
            out.writeCollection(vectors, StreamOutput::writeFloatArray);
        }

        public List<float[]> vectors() {
            return vectors;
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject();
            builder.field("model_id", modelId);
            builder.field("dimensions", vectors.isEmpty() ? 0 : vectors.get(0).length);
            builder.startArray("vectors");
            for (float[] v : vectors) {
                builder.value(v);
            }
            builder.endArray();
            return builder.endObject();
        }
    }
}
