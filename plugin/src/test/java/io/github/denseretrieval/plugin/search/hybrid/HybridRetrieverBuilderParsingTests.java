package io.github.denseretrieval.plugin.search.hybrid;

import io.github.denseretrieval.fusion.FusionMethod;
import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import org.elasticsearch.search.retriever.CompoundRetrieverBuilder.RetrieverSource;
import org.elasticsearch.search.retriever.RetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverParserContext;
import org.elasticsearch.search.retriever.TestRetrieverBuilder;
import org.elasticsearch.test.AbstractXContentTestCase;
import org.elasticsearch.usage.SearchUsage;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.NamedXContentRegistry;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentParseException;
import org.elasticsearch.xcontent.XContentParser;
import org.elasticsearch.xcontent.XContentParserConfiguration;
import org.elasticsearch.xcontent.json.JsonXContent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fusion retrievers' JSON: random instances of all three syntaxes round-trip through XContent
 * (as Elasticsearch's own RRF retriever is tested), Elasticsearch's {@code linear} and {@code rrf}
 * bodies parse with only the name changed, unknown fields are refused, the 0.1 syntax warns, and
 * every limit answers with a message naming the option.
 */
public class HybridRetrieverBuilderParsingTests extends AbstractXContentTestCase<HybridRetrieverBuilder> {

    private static final String DEPRECATION = "[hybrid] retriever is deprecated and will be removed in the next release; use "
        + "[hybrid_linear] or [hybrid_rrf] (Elasticsearch's [linear] and [rrf] syntax)";

    static HybridRetrieverBuilder randomHybrid(int children) {
        List<RetrieverSource> sources = new ArrayList<>();
        float[] weights = new float[children];
        ScoreNormalizer[] normalizers = new ScoreNormalizer[children];
        for (int i = 0; i < children; i++) {
            sources.add(RetrieverSource.from(TestRetrieverBuilder.createRandomTestRetrieverBuilder()));
            weights[i] = randomBoolean() ? 1f : randomFloatBetween(0.01f, 5f, true);
            normalizers[i] = randomFrom(ScoreNormalizer.values());
        }
        int window = randomIntBetween(1, HybridRetrieverBuilder.MAX_RANK_WINDOW_SIZE);
        return switch (randomFrom(HybridRetrieverBuilder.LINEAR_NAME, HybridRetrieverBuilder.RRF_NAME, HybridRetrieverBuilder.NAME)) {
            case HybridRetrieverBuilder.LINEAR_NAME -> {
                FusionSpec spec = new FusionSpec(FusionMethod.LINEAR, weights, normalizers, 0);
                if (randomBoolean()) {
                    spec = spec.withCandidates(randomIntBetween(0, children - 1), randomIntBetween(1, window));
                }
                yield new HybridRetrieverBuilder(HybridRetrieverBuilder.LINEAR_NAME, sources, spec, window);
            }
            case HybridRetrieverBuilder.RRF_NAME -> new HybridRetrieverBuilder(HybridRetrieverBuilder.RRF_NAME, sources,
                FusionSpec.rrf(randomIntBetween(1, 1000), weights), window);
            default -> {
                // The 0.1 syntax: one normaliser for every child, rank_constant kept for either fusion.
                FusionMethod method = randomFrom(FusionMethod.values());
                ScoreNormalizer[] one = new ScoreNormalizer[children];
                Arrays.fill(one, method == FusionMethod.LINEAR ? randomFrom(ScoreNormalizer.values()) : ScoreNormalizer.NONE);
                yield new HybridRetrieverBuilder(HybridRetrieverBuilder.NAME, sources, new FusionSpec(method, weights, one,
                    randomIntBetween(1, 1000)), window);
            }
        };
    }

    @Override
    protected HybridRetrieverBuilder createTestInstance() {
        return randomHybrid(randomIntBetween(2, HybridRetrieverBuilder.MAX_RETRIEVERS));
    }

    @Override
    protected HybridRetrieverBuilder doParseInstance(XContentParser parser) throws IOException {
        // A retriever's XContent is wrapped in its name, as in a search body: {"hybrid_linear": {...}}.
        assertEquals(XContentParser.Token.START_OBJECT, parser.nextToken());
        assertEquals(XContentParser.Token.FIELD_NAME, parser.nextToken());
        String name = parser.currentName();
        assertEquals(XContentParser.Token.START_OBJECT, parser.nextToken());
        HybridRetrieverBuilder hybrid = parserFor(name).apply(parser, new RetrieverParserContext(new SearchUsage(), nf -> true));
        assertEquals(XContentParser.Token.END_OBJECT, parser.nextToken());
        return hybrid;
    }

    private static ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> parserFor(String name) {
        return switch (name) {
            case HybridRetrieverBuilder.LINEAR_NAME -> HybridRetrieverBuilder.LINEAR_PARSER;
            case HybridRetrieverBuilder.RRF_NAME -> HybridRetrieverBuilder.RRF_PARSER;
            case HybridRetrieverBuilder.NAME -> HybridRetrieverBuilder.PARSER;
            default -> throw new AssertionError("not a fusion retriever: " + name);
        };
    }

    @Override
    protected List<String> filteredWarnings() {
        // The 0.1 syntax's deprecation, when the test logger records it; no other warning is expected.
        List<String> filtered = new ArrayList<>(super.filteredWarnings());
        filtered.add(DEPRECATION);
        return filtered;
    }

    @Override
    protected boolean supportsUnknownFields() {
        return false;
    }

    @Override
    protected NamedXContentRegistry xContentRegistry() {
        List<NamedXContentRegistry.Entry> entries = new ArrayList<>();
        entries.add(new NamedXContentRegistry.Entry(RetrieverBuilder.class, TestRetrieverBuilder.TEST_SPEC.getName(),
            (p, c) -> TestRetrieverBuilder.TEST_SPEC.getParser().fromXContent(p, (RetrieverParserContext) c),
            TestRetrieverBuilder.TEST_SPEC.getName().getForRestApiVersion()));
        for (String name : List.of(HybridRetrieverBuilder.LINEAR_NAME, HybridRetrieverBuilder.RRF_NAME, HybridRetrieverBuilder.NAME)) {
            entries.add(new NamedXContentRegistry.Entry(RetrieverBuilder.class, new ParseField(name),
                (p, c) -> parserFor(name).apply(p, (RetrieverParserContext) c)));
        }
        return new NamedXContentRegistry(entries);
    }

    private HybridRetrieverBuilder parse(String name, String json) throws IOException {
        try (XContentParser parser = JsonXContent.jsonXContent.createParser(
            XContentParserConfiguration.EMPTY.withRegistry(xContentRegistry()), json)) {
            return parserFor(name).apply(parser, new RetrieverParserContext(new SearchUsage(), nf -> true));
        }
    }

    private static String bare(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("{\"test\":{\"value\":\"v" + i + "\"}}");
        }
        return "[" + String.join(",", out) + "]";
    }

    private static String entries(float... weights) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            out.add("{\"retriever\":{\"test\":{\"value\":\"v" + i + "\"}},\"weight\":" + weights[i] + "}");
        }
        return "[" + String.join(",", out) + "]";
    }

    private void assertRefused(String name, String json, String... mustMention) {
        XContentParseException e = expectThrows(XContentParseException.class, () -> parse(name, json));
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        for (String m : mustMention) {
            assertTrue(message + " should mention " + m, message.contains(m));
        }
    }

    public void testElasticsearchLinearBodyParsesWithOnlyTheNameChanged() throws IOException {
        // Elasticsearch's linear retriever: per-child weight and normalizer ("minmax").
        HybridRetrieverBuilder linear = parse(HybridRetrieverBuilder.LINEAR_NAME, "{\"retrievers\":["
            + "{\"retriever\":{\"test\":{\"value\":\"bm25\"}},\"weight\":0.3,\"normalizer\":\"minmax\"},"
            + "{\"retriever\":{\"test\":{\"value\":\"dense\"}},\"weight\":0.7}],\"rank_window_size\":50}");
        assertEquals(FusionMethod.LINEAR, linear.spec().method());
        assertArrayEquals(new float[] {0.3f, 0.7f}, linear.spec().weights(), 0f);
        assertArrayEquals(new ScoreNormalizer[] {ScoreNormalizer.MIN_MAX, HybridRetrieverBuilder.DEFAULT_NORMALIZER},
            linear.spec().normalizers());
        assertEquals(50, linear.rankWindowSize());
        HybridRetrieverBuilder fallback = parse(HybridRetrieverBuilder.LINEAR_NAME, "{\"retrievers\":" + entries(1f, 1f)
            + ",\"normalizer\":\"l2_norm\"}");
        assertArrayEquals(new ScoreNormalizer[] {ScoreNormalizer.L2_NORM, ScoreNormalizer.L2_NORM}, fallback.spec().normalizers());
        assertEquals(HybridRetrieverBuilder.DEFAULT_RANK_WINDOW_SIZE, fallback.rankWindowSize());
    }

    public void testCandidatesComeFromTheOneEntryThatNamesThem() throws IOException {
        HybridRetrieverBuilder pooled = parse(HybridRetrieverBuilder.LINEAR_NAME, "{\"retrievers\":["
            + "{\"retriever\":{\"test\":{\"value\":\"bm25\"}},\"weight\":0.4},"
            + "{\"retriever\":{\"test\":{\"value\":\"dense\"}},\"weight\":0.6,\"candidates\":30}]}");
        assertTrue(pooled.spec().pooled());
        assertEquals(1, pooled.spec().candidatesChild());
        assertEquals(30, pooled.spec().candidates());
        assertFalse(parse(HybridRetrieverBuilder.LINEAR_NAME, "{\"retrievers\":" + entries(1f, 1f) + "}").spec().pooled());
    }

    public void testElasticsearchRrfBodyParsesWithOnlyTheNameChanged() throws IOException {
        HybridRetrieverBuilder rrf = parse(HybridRetrieverBuilder.RRF_NAME, "{\"retrievers\":" + bare(2)
            + ",\"rank_constant\":20,\"rank_window_size\":40}");
        assertEquals(FusionMethod.RRF, rrf.spec().method());
        assertArrayEquals(new float[] {1f, 1f}, rrf.spec().weights(), 0f);
        assertEquals(20, rrf.spec().rankConstant());
        assertEquals(40, rrf.rankWindowSize());
        HybridRetrieverBuilder weighted = parse(HybridRetrieverBuilder.RRF_NAME, "{\"retrievers\":" + entries(0.25f, 0.75f) + "}");
        assertArrayEquals(new float[] {0.25f, 0.75f}, weighted.spec().weights(), 0f);
        assertEquals(HybridRetrieverBuilder.DEFAULT_RANK_CONSTANT, weighted.spec().rankConstant());
    }

    public void testTheOldSyntaxStillParses() throws IOException {
        HybridRetrieverBuilder old = parse(HybridRetrieverBuilder.NAME, "{\"retrievers\":" + bare(2)
            + ",\"fusion\":\"linear\",\"weights\":[0.35,0.65],\"normalizer\":\"min_max\"}");
        assertEquals(FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.35f, 0.65f).weights()[0], old.spec().weights()[0], 0f);
        assertArrayEquals(new ScoreNormalizer[] {ScoreNormalizer.MIN_MAX, ScoreNormalizer.MIN_MAX}, old.spec().normalizers());
    }

    public void testLimitsAreBadRequestsNamingTheOption() {
        String linear = HybridRetrieverBuilder.LINEAR_NAME;
        String rrf = HybridRetrieverBuilder.RRF_NAME;
        assertRefused(linear, "{\"retrievers\":[{\"retriever\":{\"test\":{\"value\":\"a\"}},\"weight\":1e39},"
            + "{\"retriever\":{\"test\":{\"value\":\"b\"}}}]}", "[weight]", "finite");
        assertRefused(linear, "{\"retrievers\":" + entries(0f, 0f) + "}", "[weight]", "is 0");
        assertRefused(rrf, "{\"retrievers\":" + entries(-1f, 1f) + "}", "[weight]");
        assertRefused(rrf, "{\"retrievers\":" + bare(1) + "}", "[retrievers]");
        assertRefused(linear, "{\"retrievers\":" + entries(new float[HybridRetrieverBuilder.MAX_RETRIEVERS + 1]) + "}", "[retrievers]");
        assertRefused(rrf, "{\"retrievers\":" + bare(2) + ",\"rank_window_size\":10001}", "[rank_window_size]");
        assertRefused(linear, "{\"retrievers\":" + entries(1f, 1f) + ",\"rank_window_size\":0}", "[rank_window_size]");
        assertRefused(rrf, "{\"retrievers\":" + bare(2) + ",\"rank_constant\":0}", "[rank_constant]");
        assertRefused(linear, "{\"retrievers\":" + entries(1f, 1f) + ",\"normalizer\":\"z\"}", "[normalizer]", "z_score");
        assertRefused(linear, "{\"retrievers\":" + entries(1f, 1f) + ",\"rank_constant\":60}", "rank_constant");
        assertRefused(rrf, "{\"retrievers\":[{\"retriever\":{\"test\":{\"value\":\"a\"}},\"normalizer\":\"minmax\"},"
            + "{\"test\":{\"value\":\"b\"}}]}", "[normalizer]", "[hybrid_linear]");
        assertRefused(linear, "{\"retrievers\":[{\"retriever\":{\"test\":{\"value\":\"a\"}},\"boost\":2},"
            + "{\"retriever\":{\"test\":{\"value\":\"b\"}}}]}", "boost");
        String a = "{\"retriever\":{\"test\":{\"value\":\"a\"}}";
        String b = "{\"retriever\":{\"test\":{\"value\":\"b\"}}";
        assertRefused(linear, "{\"retrievers\":[" + a + ",\"candidates\":10}," + b + ",\"candidates\":10}]}", "[candidates]",
            "retrievers 0 and 1");
        assertRefused(linear, "{\"retrievers\":[" + a + "}," + b + ",\"candidates\":0}]}", "[candidates]", "between 1");
        assertRefused(linear, "{\"retrievers\":[" + a + "}," + b + ",\"candidates\":60}],\"rank_window_size\":50}", "[candidates]",
            "[rank_window_size] (50)");
        assertRefused(rrf, "{\"retrievers\":[" + a + "}," + b + ",\"candidates\":10}]}", "[candidates]", "[hybrid_linear]");
        assertRefused(HybridRetrieverBuilder.NAME, "{\"retrievers\":" + bare(2) + ",\"weights\":[1]}", "[weights]");
        assertRefused(HybridRetrieverBuilder.NAME, "{\"retrievers\":" + bare(2) + ",\"fusion\":\"max\"}", "[fusion]");
    }

    public void testNestingIsBounded() {
        HybridRetrieverBuilder nested = randomHybrid(2);
        for (int depth = 2; depth <= HybridRetrieverBuilder.MAX_DEPTH; depth++) {
            nested = wrap(nested);
        }
        HybridRetrieverBuilder deepest = nested;
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> wrap(deepest));
        assertTrue(e.getMessage(), e.getMessage().contains("nested"));
    }

    private static HybridRetrieverBuilder wrap(HybridRetrieverBuilder inner) {
        return new HybridRetrieverBuilder(HybridRetrieverBuilder.RRF_NAME, List.of(RetrieverSource.from(inner),
            RetrieverSource.from(TestRetrieverBuilder.createRandomTestRetrieverBuilder())), FusionSpec.rrf(60, 1f, 1f), 100);
    }
}
