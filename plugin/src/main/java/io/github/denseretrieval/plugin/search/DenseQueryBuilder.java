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
 */
public final class DenseQueryBuilder extends AbstractQueryBuilder<DenseQueryBuilder> {

    public static final String NAME = "dense";
    public static final int DEFAULT_K = 10;
    public static final int DEFAULT_NUM_CANDIDATES = 100;
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
    private final int k;
    private final int numCandidates;
    private final List<QueryBuilder> filters;

    /**
     * @throws IllegalArgumentException naming the option when a value is out of range
     */
    public DenseQueryBuilder(String field, String query, String modelId, Integer k, Integer numCandidates, List<QueryBuilder> filters) {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] requires [field], the dense_vector field to search");
        }
        if (query == null || query.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] requires a non-empty [query]");
        }
        this.field = field;
        this.query = query;
        this.modelId = modelId;
        this.k = k == null ? DEFAULT_K : k;
        this.numCandidates = numCandidates == null ? Math.max(DEFAULT_NUM_CANDIDATES, this.k) : numCandidates;
        if (this.k < 1) {
            throw new IllegalArgumentException("[" + NAME + "] [k] must be >= 1, got [" + this.k + "]");
        }
        if (this.numCandidates < this.k || this.numCandidates > MAX_NUM_CANDIDATES) {
            throw new IllegalArgumentException("[" + NAME + "] [num_candidates] must be between [k] (" + this.k + ") and "
                + MAX_NUM_CANDIDATES + ", got [" + this.numCandidates + "]");
        }
        this.filters = filters == null ? List.of() : List.copyOf(filters);
    }

    public DenseQueryBuilder(StreamInput in) throws IOException {
        super(in);
        this.field = in.readString();
        this.query = in.readString();
        this.modelId = in.readOptionalString();
        this.k = in.readVInt();
        this.numCandidates = in.readVInt();
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
        out.writeVInt(k);
        out.writeVInt(numCandidates);
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
        builder.field(K.getPreferredName(), k);
        builder.field(NUM_CANDIDATES.getPreferredName(), numCandidates);
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
        return field.equals(other.field) && query.equals(other.query) && Objects.equals(modelId, other.modelId) && k == other.k
            && numCandidates == other.numCandidates && filters.equals(other.filters);
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

    public int k() {
        return k;
    }

    public int numCandidates() {
        return numCandidates;
    }

    public List<QueryBuilder> filters() {
        return filters;
    }
}
