package io.github.denseretrieval.plugin.search.hybrid;

import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.search.rank.RankDoc;
import org.elasticsearch.search.retriever.CompoundRetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverParserContext;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.elasticsearch.xcontent.ConstructingObjectParser.constructorArg;
import static org.elasticsearch.xcontent.ConstructingObjectParser.optionalConstructorArg;

/**
 * Retriever {@code hybrid}: runs its child retrievers (BM25 {@code standard}, {@code knn}, a
 * {@code standard} with a {@code dense} query, ...) and fuses their top {@code rank_window_size}
 * results by reciprocal rank fusion or by a weighted sum of normalised scores.
 *
 * <pre>
 * "retriever": { "hybrid": {
 *     "retrievers": [ { "standard": { "query": { "match": { "text": "..." } } } },
 *                     { "standard": { "query": { "dense": { "field": "text_vector", "query": "..." } } } } ],
 *     "fusion": "linear", "weights": [0.35, 0.65], "normalizer": "min_max",
 *     "rank_window_size": 100 } }
 * </pre>
 *
 * <p>Defaults: {@code rrf} with {@code rank_constant} 60, equal weights, {@code rank_window_size}
 * 100. Equal weights are only a neutral starting point: weights chosen on training questions are
 * what made hybrid beat both children on SciFact (see the README). Works on the free {@code integ-test-zip} distribution, which has no
 * {@code rrf} retriever; needs no license.
 */
public final class HybridRetrieverBuilder extends CompoundRetrieverBuilder<HybridRetrieverBuilder> {

    public static final String NAME = "hybrid";
    public static final int DEFAULT_RANK_CONSTANT = 60;
    public static final int DEFAULT_RANK_WINDOW_SIZE = 100;
    /** Children one hybrid may fuse: each is a full search, so a long list is a costly mistake. */
    public static final int MAX_RETRIEVERS = 10;
    /** Hybrids nested in hybrids, counting this one: every level multiplies the searches run. */
    public static final int MAX_DEPTH = 3;
    /** Elasticsearch's default {@code index.max_result_window}: each child fetches this many hits at most. */
    public static final int MAX_RANK_WINDOW_SIZE = 10_000;

    static final ParseField RETRIEVERS = new ParseField("retrievers");
    static final ParseField FUSION = new ParseField("fusion");
    static final ParseField WEIGHTS = new ParseField("weights");
    static final ParseField NORMALIZER = new ParseField("normalizer");
    static final ParseField RANK_CONSTANT = new ParseField("rank_constant");

    @SuppressWarnings("unchecked")
    static final ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> PARSER = new ConstructingObjectParser<>(NAME,
        false, args -> {
            List<RetrieverBuilder> children = (List<RetrieverBuilder>) args[0];
            FusionMethod fusion = args[1] == null ? FusionMethod.RRF : FusionMethod.fromName((String) args[1]);
            List<Float> weightList = (List<Float>) args[2];
            ScoreNormalization normalizer = args[3] == null ? ScoreNormalization.MIN_MAX : ScoreNormalization.fromName((String) args[3]);
            int rankConstant = args[4] == null ? DEFAULT_RANK_CONSTANT : (Integer) args[4];
            int window = args[5] == null ? DEFAULT_RANK_WINDOW_SIZE : (Integer) args[5];
            float[] weights = new float[children.size()];
            if (weightList == null) {
                Arrays.fill(weights, 1f);
            } else {
                if (weightList.size() != children.size()) {
                    throw new IllegalArgumentException("[" + NAME + "] has " + children.size() + " [retrievers] but " + weightList.size()
                        + " [weights]; give one weight per retriever");
                }
                for (int i = 0; i < weights.length; i++) {
                    weights[i] = weightList.get(i);
                }
            }
            List<RetrieverSource> sources = new ArrayList<>();
            children.forEach(c -> sources.add(RetrieverSource.from(c)));
            return new HybridRetrieverBuilder(sources, fusion, weights, normalizer, rankConstant, window);
        });

    static {
        PARSER.declareObjectArray(constructorArg(), (p, c) -> {
            p.nextToken();
            String name = p.currentName();
            RetrieverBuilder retriever = p.namedObject(RetrieverBuilder.class, name, c);
            c.trackRetrieverUsage(name);
            p.nextToken();
            return retriever;
        }, RETRIEVERS);
        PARSER.declareString(optionalConstructorArg(), FUSION);
        PARSER.declareFloatArray(optionalConstructorArg(), WEIGHTS);
        PARSER.declareString(optionalConstructorArg(), NORMALIZER);
        PARSER.declareInt(optionalConstructorArg(), RANK_CONSTANT);
        PARSER.declareInt(optionalConstructorArg(), RANK_WINDOW_SIZE_FIELD);
        RetrieverBuilder.declareBaseParserFields(NAME, PARSER);
    }

    public static HybridRetrieverBuilder fromXContent(XContentParser parser, RetrieverParserContext context) throws IOException {
        return PARSER.apply(parser, context);
    }

    private final FusionMethod fusion;
    private final float[] weights;
    private final ScoreNormalization normalizer;
    private final int rankConstant;

    public HybridRetrieverBuilder(List<RetrieverSource> children, FusionMethod fusion, float[] weights, ScoreNormalization normalizer,
                                  int rankConstant, int rankWindowSize) {
        // A mutable list: CompoundRetrieverBuilder#addChild appends to it.
        super(new ArrayList<>(children), rankWindowSize);
        if (children.size() < 2 || children.size() > MAX_RETRIEVERS) {
            throw new IllegalArgumentException("[" + NAME + "] fuses between 2 and " + MAX_RETRIEVERS + " [retrievers], got "
                + children.size());
        }
        if (weights.length != children.size()) {
            throw new IllegalArgumentException("[" + NAME + "] needs one weight per retriever");
        }
        boolean anyPositive = false;
        for (float w : weights) {
            if (w < 0 || Float.isFinite(w) == false) {
                throw new IllegalArgumentException("[" + NAME + "] [weights] must be finite and >= 0, got " + Arrays.toString(weights));
            }
            anyPositive |= w > 0;
        }
        if (anyPositive == false) {
            throw new IllegalArgumentException("[" + NAME + "] [weights] are all 0, so every document would score 0; give at least "
                + "one retriever a positive weight");
        }
        if (rankConstant < 1) {
            throw new IllegalArgumentException("[" + NAME + "] [rank_constant] must be >= 1, got [" + rankConstant + "]");
        }
        if (rankWindowSize < 1 || rankWindowSize > MAX_RANK_WINDOW_SIZE) {
            throw new IllegalArgumentException("[" + NAME + "] [rank_window_size] must be between 1 and " + MAX_RANK_WINDOW_SIZE
                + ", got [" + rankWindowSize + "]");
        }
        int depth = depth(children);
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("[" + NAME + "] retrievers are nested " + depth + " deep; at most " + MAX_DEPTH
                + " levels of [" + NAME + "] are allowed");
        }
        this.fusion = fusion;
        this.weights = weights.clone();
        this.normalizer = normalizer;
        this.rankConstant = rankConstant;
    }

    /** Levels of hybrid retrievers from a hybrid with these children down, counting that hybrid. */
    private static int depth(List<RetrieverSource> children) {
        int deepest = 0;
        for (RetrieverSource child : children) {
            if (child.retriever() instanceof HybridRetrieverBuilder nested) {
                deepest = Math.max(deepest, depth(nested.innerRetrievers));
            }
        }
        return deepest + 1;
    }

    @Override
    protected HybridRetrieverBuilder clone(List<RetrieverSource> newChildren, List<QueryBuilder> newPreFilters) {
        HybridRetrieverBuilder copy = new HybridRetrieverBuilder(newChildren, fusion, weights, normalizer, rankConstant, rankWindowSize);
        copy.preFilterQueryBuilders = newPreFilters;
        copy.retrieverName = retrieverName;
        copy.minScore = minScore;
        return copy;
    }

    @Override
    protected SearchSourceBuilder finalizeSourceBuilder(SearchSourceBuilder source) {
        // Linear fusion needs each child's scores even when a child sorts by something else.
        source.trackScores(true);
        return source;
    }

    @Override
    protected RankDoc[] combineInnerRetrieverResults(List<ScoreDoc[]> rankResults, boolean explain) {
        ScoreNormalization[] normalizers = new ScoreNormalization[weights.length];
        Arrays.fill(normalizers, normalizer);
        HybridRankDoc[] fused = new ScoreFusion(fusion, weights, normalizers, rankConstant, rankWindowSize).fuse(rankResults);
        if (minScore != null) {
            return Arrays.stream(fused).filter(d -> d.score >= minScore).toArray(RankDoc[]::new);
        }
        return fused;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    protected void doToXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startArray(RETRIEVERS.getPreferredName());
        for (RetrieverSource source : innerRetrievers) {
            // A retriever writes itself wrapped in its own name: {"standard": {...}}.
            source.retriever().toXContent(builder, params);
        }
        builder.endArray();
        builder.field(FUSION.getPreferredName(), fusion.jsonName());
        builder.array(WEIGHTS.getPreferredName(), weights);
        builder.field(NORMALIZER.getPreferredName(), normalizer.jsonName());
        builder.field(RANK_CONSTANT.getPreferredName(), rankConstant);
        builder.field(RANK_WINDOW_SIZE_FIELD.getPreferredName(), rankWindowSize);
    }

    @Override
    public boolean doEquals(Object o) {
        HybridRetrieverBuilder that = (HybridRetrieverBuilder) o;
        return super.doEquals(o) && fusion == that.fusion && Arrays.equals(weights, that.weights) && normalizer == that.normalizer
            && rankConstant == that.rankConstant;
    }

    @Override
    public int doHashCode() {
        return Objects.hash(super.doHashCode(), fusion, Arrays.hashCode(weights), normalizer, rankConstant);
    }
}
