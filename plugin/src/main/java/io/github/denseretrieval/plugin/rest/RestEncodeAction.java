package io.github.denseretrieval.plugin.rest;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.plugin.action.EncodeTextAction;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.action.RestToXContentListener;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentParser;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import static org.elasticsearch.rest.RestRequest.Method.POST;
import static org.elasticsearch.xcontent.ConstructingObjectParser.constructorArg;
import static org.elasticsearch.xcontent.ConstructingObjectParser.optionalConstructorArg;

/**
 * {@code POST _dense/models/{model_id}/_encode} with {@code {"texts": ["..."], "role": "query"}}:
 * the vectors the model gives, for debugging a mapping or comparing with another system.
 * {@code role} is {@code query} (default, with the query prefix) or {@code passage}.
 */
public final class RestEncodeAction extends BaseRestHandler {

    private record Body(List<String> texts, TextRole role) {}

    @SuppressWarnings("unchecked")
    private static final ConstructingObjectParser<Body, Void> PARSER = new ConstructingObjectParser<>("dense_encode_request", false,
        args -> new Body((List<String>) args[0], args[1] == null ? TextRole.QUERY : role((String) args[1])));

    static {
        PARSER.declareStringArray(constructorArg(), new ParseField("texts"));
        PARSER.declareString(optionalConstructorArg(), new ParseField("role"));
    }

    private static TextRole role(String value) {
        try {
            return TextRole.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[role] must be one of [query, passage], got [" + value + "]");
        }
    }

    @Override
    public String getName() {
        return "dense_retrieval_encode";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(POST, "/_dense/models/{model_id}/_encode"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        String modelId = request.param("model_id");
        Body body;
        try (XContentParser parser = request.contentParser()) {
            body = PARSER.apply(parser, null);
        }
        EncodeTextAction.Request encode = new EncodeTextAction.Request(modelId, body.texts(), body.role());
        return channel -> client.execute(EncodeTextAction.INSTANCE, encode, new RestToXContentListener<>(channel));
    }
}
