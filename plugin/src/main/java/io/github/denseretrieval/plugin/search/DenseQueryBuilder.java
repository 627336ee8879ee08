package io.github.denseretrieval.plugin.search;

import org.apache.lucene.search.Query;
import org.elasticsearch.TransportVersion;
import org.elasticsearch.TransportVersions;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.index.query.AbstractQueryBuilder;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.QueryRewriteContext;
import org.elasticsearch.index.query.SearchExecutionContext;
import org.elasticsearch.search.vectors.KnnVectorQueryBuilder;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.elasticsearch.xcontent.ConstructingObjectParser.constructorArg;
import static org.elasticsearch.xcontent.ConstructingObjectParser.optionalConstructorArg;

/**
 * Query {@code dense}: approximate nearest neighbours of a question given as text.
 *
 * <pre>
 * { "dense": { "field": "text_vector", "query": "what causes malaria", "model_id": "bge-small-en-v1.5",
 *              "k": 10, "num_candidates": 100, "filter": { "term": { "lang": "en" } }, "boost": 1.0 } }
 * </pre>
 *
 * <p>It never reaches a shard as text: on rewrite it becomes Elasticsearch's own {@code knn} query
 * with a {@link DenseEncodeVectorBuilder}, which encodes the question once on the coordinating node
 * (an async rewrite action, off the network threads) and is then a plain vector query. So it
 * combines with anything a {@code knn} query combines with ({@code bool}, retrievers, filters).
 * Like {@code knn}, {@code k} defaults to the search's {@code size} (inside a retriever, its
 * {@code rank_window_size}) and {@code num_candidates} to Elasticsearch's default.
 */
public final class DenseQueryBuilder extends AbstractQueryBuilder<DenseQueryBuilder> {

    public static final String NAME = "dense";
    /** Elasticsearch's own upper bound for {@code num_candidates}. */
    public static final int MAX_NUM_CANDIDATES = 10_000;

    static final ParseField FIELD = new ParseField("field");
    static final ParseField QUERY = new ParseField("query");
    static final ParseField MODEL_ID = new ParseField("model_id");
    static final ParseField K = new ParseField("k");
    static final ParseField NUM_CANDIDATES = new ParseField("num_candidates");
    static final ParseField FILTER = new ParseField("filter");

    @SuppressWarnings("unchecked")
    private static final ConstructingObjectParser<DenseQueryBuilder, Void> PARSER = new ConstructingObjectParser<>(NAME,
        args -> new DenseQueryBuilder((String) args[0], (String) args[1], (String) args[2], (Integer) args[3], (Integer) args[4],
            (List<QueryBuilder>) args[5]));

    static {
        PARSER.declareString(constructorArg(), FIELD);
        PARSER.declareString(constructorArg(), QUERY);
        PARSER.declareString(optionalConstructorArg(), MODEL_ID);
        PARSER.declareInt(optionalConstructorArg(), K);
        PARSER.declareInt(optionalConstructorArg(), NUM_CANDIDATES);
        PARSER.declareFieldArray(optionalConstructorArg(), (p, c) -> parseInnerQueryBuilder(p), FILTER,
            ObjectParser.ValueType.OBJECT_ARRAY);
        declareStandardFields(PARSER);
    }

    private final String field;
    private final String query;
    private final String modelId;
    private final Integer k;
    private final Integer numCandidates;
    private final List<QueryBuilder> filters;

    /**
     * @param k             hits to find; null = the search's {@code size}, as Elasticsearch's own {@code knn} query
     * @param numCandidates candidates per shard; null = Elasticsearch's default for the {@code knn} query
     * @throws IllegalArgumentException naming the option when a value is out of range
     */
    public DenseQueryBuilder(String field, String query, String modelId, Integer k, Integer numCandidates, List<QueryBuilder> filters) {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] requires [field], the dense_vector field to search");
        }
        if (query == null || query.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] requires a non-empty [query]");
        }
        if (modelId != null && modelId.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] [model_id] must not be empty; leave it out for the default model");
        }
        if (k != null && (k < 1 || k > MAX_NUM_CANDIDATES)) {
            throw new IllegalArgumentException("[" + NAME + "] [k] must be between 1 and " + MAX_NUM_CANDIDATES + ", got [" + k + "]");
        }
        if (numCandidates != null && (numCandidates < (k == null ? 1 : k) || numCandidates > MAX_NUM_CANDIDATES)) {
            throw new IllegalArgumentException("[" + NAME + "] [num_candidates] must be between " + (k == null ? "1" : "[k] (" + k + ")")
                + " and " + MAX_NUM_CANDIDATES + ", got [" + numCandidates + "]");
        }
        this.field = field;
        this.query = query;
        this.modelId = modelId;
        this.k = k;
        this.numCandidates = numCandidates;
        this.filters = filters == null ? List.of() : List.copyOf(filters);
    }

    public DenseQueryBuilder(StreamInput in) throws IOException {
        super(in);
        this.field = in.readString();
        this.query = in.readString();
        this.modelId = in.readOptionalString();
        this.k = in.readOptionalVInt();
        this.numCandidates = in.readOptionalVInt();
        this.filters = readQueries(in);
    }

    public static DenseQueryBuilder fromXContent(XContentParser parser) {
        return PARSER.apply(parser, null);
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        out.writeString(field);
        out.writeString(query);
        out.writeOptionalString(modelId);
        out.writeOptionalVInt(k);
        out.writeOptionalVInt(numCandidates);
        writeQueries(out, filters);
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field(FIELD.getPreferredName(), field);
        builder.field(QUERY.getPreferredName(), query);
        if (modelId != null) {
            builder.field(MODEL_ID.getPreferredName(), modelId);
        }
        if (k != null) {
            builder.field(K.getPreferredName(), k);
        }
        if (numCandidates != null) {
            builder.field(NUM_CANDIDATES.getPreferredName(), numCandidates);
        }
        if (filters.isEmpty() == false) {
            builder.startArray(FILTER.getPreferredName());
            for (QueryBuilder f : filters) {
                f.toXContent(builder, params);
            }
            builder.endArray();
        }
        boostAndQueryNameToXContent(builder);
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) {
        if (context.convertToSearchExecutionContext() != null) {
            // Only a search's coordinating rewrite can wait for the question's vector; a shard-level
            // rewrite (alias filter, percolator query) cannot, and Elasticsearch would answer 500.
            throw new IllegalArgumentException("[" + NAME + "] query can only run in a search request: its question is encoded "
                + "before the search reaches the shards, which an alias filter or a stored (percolator) query cannot wait for; "
                + "use a [knn] query with a precomputed [query_vector] there");
        }
        KnnVectorQueryBuilder knn = new KnnVectorQueryBuilder(field, new DenseEncodeVectorBuilder(modelId, query), k, numCandidates, null);
        knn.addFilterQueries(new ArrayList<>(filters));
        return knn.boost(boost).queryName(queryName);
    }

    @Override
    protected Query doToQuery(SearchExecutionContext context) {
        throw new IllegalStateException("[" + NAME + "] query must be rewritten into a knn query before it reaches a shard");
    }

    @Override
    protected boolean doEquals(DenseQueryBuilder other) {
        return field.equals(other.field) && query.equals(other.query) && Objects.equals(modelId, other.modelId)
            && Objects.equals(k, other.k) && Objects.equals(numCandidates, other.numCandidates) && filters.equals(other.filters);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(field, query, modelId, k, numCandidates, filters);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    @Override
    public TransportVersion getMinimalSupportedVersion() {
        return TransportVersions.V_8_16_0;
    }

    public String field() {
        return field;
    }

    public String query() {
        return query;
    }

    public String modelId() {
        return modelId;
    }

    /** Null when the search's {@code size} decides. */
    public Integer k() {
        return k;
    }

    /** Null when Elasticsearch's default decides. */
    public Integer numCandidates() {
        return numCandidates;
    }

    public List<QueryBuilder> filters() {
        return filters;
    }
}
