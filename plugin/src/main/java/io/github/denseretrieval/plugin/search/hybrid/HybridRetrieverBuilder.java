package io.github.denseretrieval.plugin.search.hybrid;

import io.github.denseretrieval.fusion.FusionMethod;
import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.common.logging.DeprecationCategory;
import org.elasticsearch.common.logging.DeprecationLogger;
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
 * The plugin's fusion retrievers: each runs its child retrievers (BM25 {@code standard}, {@code knn},
 * a {@code standard} with a {@code dense} query, ...) and fuses their top {@code rank_window_size}
 * results. Three names share this class:
 *
 * <ul>
 * <li>{@code hybrid_linear}: Elasticsearch's {@code linear} retriever syntax, a weighted sum of
 * normalised scores; each entry {@code {"retriever": ..., "weight": w, "normalizer": n}}, with the
 * retriever-level {@code normalizer} (default {@value #DEFAULT_NORMALIZER_NAME}) for entries that
 * name none. One entry may add {@code "candidates": n}: only that child's top {@code n}
 * documents are fused, every child's scores normalised over them, so the other children re-order
 * its best documents but bring in none of their own (the shipped default draws the candidates
 * from the dense child);</li>
 * <li>{@code hybrid_rrf}: Elasticsearch's {@code rrf} retriever syntax, reciprocal rank fusion;
 * entries are bare retrievers or {@code {"retriever": ..., "weight": w}};
 * {@code rank_constant} (default 60);</li>
 * <li>{@code hybrid}: the syntax of release 0.1 ({@code fusion}, {@code weights},
 * {@code normalizer}), still parsed with a deprecation warning.</li>
 * </ul>
 *
 * <p>Removing the {@code hybrid_} prefix gives the body Elasticsearch's licensed retrievers take
 * (they lack {@code z_score}). The names differ from Elasticsearch's own because a node refuses to
 * start when two plugins register one name, and Elasticsearch's source carries a prototype
 * retriever called {@code hybrid}. Works on the free {@code integ-test-zip} distribution, which has
 * no {@code rrf} or {@code linear}; needs no license.
 */
public final class HybridRetrieverBuilder extends CompoundRetrieverBuilder<HybridRetrieverBuilder> {

    /** The 0.1 syntax, deprecated. */
    public static final String NAME = "hybrid";
    public static final String LINEAR_NAME = "hybrid_linear";
    public static final String RRF_NAME = "hybrid_rrf";
    public static final int DEFAULT_RANK_CONSTANT = 60;
    public static final int DEFAULT_RANK_WINDOW_SIZE = 100;
    static final String DEFAULT_NORMALIZER_NAME = "min_max";
    /** Chosen leave-one-collection-out over eight public collections (see the README's hybrid section). */
    public static final ScoreNormalizer DEFAULT_NORMALIZER = ScoreNormalizer.fromName(DEFAULT_NORMALIZER_NAME);
    /** Children one fusion may have: each is a full search, so a long list is a costly mistake. */
    public static final int MAX_RETRIEVERS = 10;
    /** Fusion retrievers nested in fusion retrievers, counting this one: every level multiplies the searches run. */
    public static final int MAX_DEPTH = 3;
    /** Elasticsearch's default {@code index.max_result_window}: each child fetches this many hits at most. */
    public static final int MAX_RANK_WINDOW_SIZE = 10_000;

    static final ParseField RETRIEVERS = new ParseField("retrievers");
    static final ParseField FUSION = new ParseField("fusion");
    static final ParseField WEIGHTS = new ParseField("weights");
    static final ParseField NORMALIZER = new ParseField("normalizer");
    static final ParseField RANK_CONSTANT = new ParseField("rank_constant");

    private static final DeprecationLogger DEPRECATION = DeprecationLogger.getLogger(HybridRetrieverBuilder.class);

    @SuppressWarnings("unchecked")
    static final ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> PARSER = new ConstructingObjectParser<>(NAME,
        false, args -> {
            List<RetrieverBuilder> children = (List<RetrieverBuilder>) args[0];
            FusionMethod fusion = args[1] == null ? FusionMethod.RRF : fusionMethod(NAME, (String) args[1]);
            List<Float> weightList = (List<Float>) args[2];
            ScoreNormalizer normalizer = args[3] == null ? ScoreNormalizer.MIN_MAX : normalizer(NAME, (String) args[3]);
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
            ScoreNormalizer[] normalizers = new ScoreNormalizer[children.size()];
            Arrays.fill(normalizers, fusion == FusionMethod.LINEAR ? normalizer : ScoreNormalizer.NONE);
            DEPRECATION.warn(DeprecationCategory.API, "hybrid_retriever", "[" + NAME + "] retriever is deprecated and will be removed in "
                + "the next release; use [" + LINEAR_NAME + "] or [" + RRF_NAME + "] (Elasticsearch's [linear] and [rrf] syntax)");
            return new HybridRetrieverBuilder(NAME, sources(children), new FusionSpec(fusion, weights, normalizers, rankConstant), window);
        });

    @SuppressWarnings("unchecked")
    static final ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> LINEAR_PARSER = new ConstructingObjectParser<>(
        LINEAR_NAME, false, args -> {
            List<FusionChild> entries = (List<FusionChild>) args[0];
            ScoreNormalizer fallback = args[1] == null ? DEFAULT_NORMALIZER : normalizer(LINEAR_NAME, (String) args[1]);
            int window = args[2] == null ? DEFAULT_RANK_WINDOW_SIZE : (Integer) args[2];
            float[] weights = new float[entries.size()];
            ScoreNormalizer[] normalizers = new ScoreNormalizer[entries.size()];
            List<RetrieverBuilder> children = new ArrayList<>();
            int candidatesChild = -1;
            int candidates = 0;
            for (int i = 0; i < entries.size(); i++) {
                FusionChild e = entries.get(i);
                weights[i] = e.weight() == null ? 1f : e.weight();
                normalizers[i] = e.normalizer() == null ? fallback : normalizer(LINEAR_NAME, e.normalizer());
                children.add(e.retriever());
                if (e.candidates() != null) {
                    if (candidatesChild >= 0) {
                        throw new IllegalArgumentException("[" + LINEAR_NAME + "] [candidates] is given on retrievers " + candidatesChild
                            + " and " + i + "; one retriever supplies the candidates");
                    }
                    if (e.candidates() < 1 || e.candidates() > window) {
                        throw new IllegalArgumentException("[" + LINEAR_NAME + "] [candidates] must be between 1 and [rank_window_size] ("
                            + window + "), got [" + e.candidates() + "]");
                    }
                    candidatesChild = i;
                    candidates = e.candidates();
                }
            }
            return new HybridRetrieverBuilder(LINEAR_NAME, sources(children), new FusionSpec(FusionMethod.LINEAR, weights, normalizers, 0,
                candidatesChild, candidates), window);
        });

    @SuppressWarnings("unchecked")
    static final ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> RRF_PARSER = new ConstructingObjectParser<>(
        RRF_NAME, false, args -> {
            List<FusionChild> entries = (List<FusionChild>) args[0];
            int rankConstant = args[1] == null ? DEFAULT_RANK_CONSTANT : (Integer) args[1];
            int window = args[2] == null ? DEFAULT_RANK_WINDOW_SIZE : (Integer) args[2];
            float[] weights = new float[entries.size()];
            List<RetrieverBuilder> children = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                FusionChild e = entries.get(i);
                if (e.normalizer() != null || e.candidates() != null) {
                    throw new IllegalArgumentException("[" + RRF_NAME + "] fuses ranks, not scores: [" + (e.normalizer() != null
                        ? "normalizer" : "candidates") + "] belongs to [" + LINEAR_NAME + "]");
                }
                weights[i] = e.weight() == null ? 1f : e.weight();
                children.add(e.retriever());
            }
            return new HybridRetrieverBuilder(RRF_NAME, sources(children), FusionSpec.rrf(rankConstant, weights), window);
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

        LINEAR_PARSER.declareObjectArray(constructorArg(), FusionChild::parseEntry, RETRIEVERS);
        LINEAR_PARSER.declareString(optionalConstructorArg(), NORMALIZER);
        LINEAR_PARSER.declareInt(optionalConstructorArg(), RANK_WINDOW_SIZE_FIELD);
        RetrieverBuilder.declareBaseParserFields(LINEAR_NAME, LINEAR_PARSER);

        RRF_PARSER.declareObjectArray(constructorArg(), FusionChild::parseEntryOrRetriever, RETRIEVERS);
        RRF_PARSER.declareInt(optionalConstructorArg(), RANK_CONSTANT);
        RRF_PARSER.declareInt(optionalConstructorArg(), RANK_WINDOW_SIZE_FIELD);
        RetrieverBuilder.declareBaseParserFields(RRF_NAME, RRF_PARSER);
    }

    /** Parses the deprecated {@code hybrid} syntax. */
    public static HybridRetrieverBuilder fromXContent(XContentParser parser, RetrieverParserContext context) throws IOException {
        return PARSER.apply(parser, context);
    }

    public static HybridRetrieverBuilder linearFromXContent(XContentParser parser, RetrieverParserContext context) throws IOException {
        return LINEAR_PARSER.apply(parser, context);
    }

    public static HybridRetrieverBuilder rrfFromXContent(XContentParser parser, RetrieverParserContext context) throws IOException {
        return RRF_PARSER.apply(parser, context);
    }

    private static List<RetrieverSource> sources(List<RetrieverBuilder> children) {
        List<RetrieverSource> sources = new ArrayList<>();
        children.forEach(c -> sources.add(RetrieverSource.from(c)));
        return sources;
    }

    private static FusionMethod fusionMethod(String retriever, String name) {
        try {
            return FusionMethod.fromName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + retriever + "] " + e.getMessage());
        }
    }

    private static ScoreNormalizer normalizer(String retriever, String name) {
        try {
            return ScoreNormalizer.fromName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + retriever + "] " + e.getMessage());
        }
    }

    private final String name;
    private final FusionSpec spec;

    /** @param name which syntax the retriever was written in, and writes itself back in */
    public HybridRetrieverBuilder(String name, List<RetrieverSource> children, FusionSpec spec, int rankWindowSize) {
        // A mutable list: CompoundRetrieverBuilder#addChild appends to it.
        super(new ArrayList<>(children), rankWindowSize);
        if (!List.of(NAME, LINEAR_NAME, RRF_NAME).contains(name)) {
            throw new IllegalArgumentException("unknown fusion retriever name [" + name + "]");
        }
        this.name = name;
        if (children.size() < 2 || children.size() > MAX_RETRIEVERS) {
            throw new IllegalArgumentException("[" + name + "] fuses between 2 and " + MAX_RETRIEVERS + " [retrievers], got "
                + children.size());
        }
        if (spec.children() != children.size()) {
            throw new IllegalArgumentException("[" + name + "] needs one weight per retriever");
        }
        float[] weights = spec.weights();
        boolean anyPositive = false;
        for (float w : weights) {
            if (w < 0 || Float.isFinite(w) == false) {
                throw new IllegalArgumentException("[" + name + "] every [weight] must be finite and >= 0, got " + Arrays.toString(weights));
            }
            anyPositive |= w > 0;
        }
        if (anyPositive == false) {
            throw new IllegalArgumentException("[" + name + "] every [weight] is 0, so every document would score 0; give at least "
                + "one retriever a positive weight");
        }
        if (spec.method() == FusionMethod.RRF && spec.rankConstant() < 1) {
            throw new IllegalArgumentException("[" + name + "] [rank_constant] must be >= 1, got [" + spec.rankConstant() + "]");
        }
        if (rankWindowSize < 1 || rankWindowSize > MAX_RANK_WINDOW_SIZE) {
            throw new IllegalArgumentException("[" + name + "] [rank_window_size] must be between 1 and " + MAX_RANK_WINDOW_SIZE
                + ", got [" + rankWindowSize + "]");
        }
        if (spec.candidates() > rankWindowSize) {
            throw new IllegalArgumentException("[" + name + "] [candidates] must be between 1 and [rank_window_size] (" + rankWindowSize
                + "), got [" + spec.candidates() + "]");
        }
        int depth = depth(children);
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("[" + name + "] retrievers are nested " + depth + " deep; at most " + MAX_DEPTH
                + " levels of fusion retrievers are allowed");
        }
        this.spec = spec;
    }

    /** Levels of fusion retrievers from one with these children down, counting that one. */
    private static int depth(List<RetrieverSource> children) {
        int deepest = 0;
        for (RetrieverSource child : children) {
            if (child.retriever() instanceof HybridRetrieverBuilder nested) {
                deepest = Math.max(deepest, depth(nested.innerRetrievers));
            }
        }
        return deepest + 1;
    }

    public FusionSpec spec() {
        return spec;
    }

    @Override
    protected HybridRetrieverBuilder clone(List<RetrieverSource> newChildren, List<QueryBuilder> newPreFilters) {
        HybridRetrieverBuilder copy = new HybridRetrieverBuilder(name, newChildren, spec, rankWindowSize);
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
        HybridRankDoc[] fused = new ScoreFusion(spec, rankWindowSize).fuse(rankResults);
        if (minScore != null) {
            return Arrays.stream(fused).filter(d -> d.score >= minScore).toArray(RankDoc[]::new);
        }
        return fused;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    protected void doToXContent(XContentBuilder builder, Params params) throws IOException {
        float[] weights = spec.weights();
        ScoreNormalizer[] normalizers = spec.normalizers();
        builder.startArray(RETRIEVERS.getPreferredName());
        for (int i = 0; i < innerRetrievers.size(); i++) {
            RetrieverBuilder child = innerRetrievers.get(i).retriever();
            if (name.equals(NAME)) {
                // A retriever writes itself wrapped in its own name: {"standard": {...}}.
                child.toXContent(builder, params);
                continue;
            }
            builder.startObject();
            builder.field(FusionChild.RETRIEVER.getPreferredName(), child);
            builder.field(FusionChild.WEIGHT.getPreferredName(), weights[i]);
            if (spec.method() == FusionMethod.LINEAR) {
                builder.field(FusionChild.NORMALIZER.getPreferredName(), normalizers[i].jsonName());
            }
            if (spec.candidatesChild() == i) {
                builder.field(FusionChild.CANDIDATES.getPreferredName(), spec.candidates());
            }
            builder.endObject();
        }
        builder.endArray();
        if (name.equals(NAME)) {
            builder.field(FUSION.getPreferredName(), spec.method().jsonName());
            builder.array(WEIGHTS.getPreferredName(), weights);
            // The 0.1 syntax has one normaliser for all children; RRF ignores it.
            builder.field(NORMALIZER.getPreferredName(), (spec.method() == FusionMethod.LINEAR ? normalizers[0] : ScoreNormalizer.MIN_MAX)
                .jsonName());
        }
        if (spec.method() == FusionMethod.RRF || name.equals(NAME)) {
            builder.field(RANK_CONSTANT.getPreferredName(), spec.rankConstant());
        }
        builder.field(RANK_WINDOW_SIZE_FIELD.getPreferredName(), rankWindowSize);
    }

    @Override
    public boolean doEquals(Object o) {
        HybridRetrieverBuilder that = (HybridRetrieverBuilder) o;
        return super.doEquals(o) && name.equals(that.name) && spec.equals(that.spec);
    }

    @Override
    public int doHashCode() {
        return Objects.hash(super.doHashCode(), name, spec);
    }
}
