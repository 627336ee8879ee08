package io.github.denseretrieval.plugin.search.hybrid;

import org.elasticsearch.search.retriever.CompoundRetrieverBuilder.RetrieverSource;
import org.elasticsearch.search.retriever.RetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverParserContext;
import org.elasticsearch.search.retriever.TestRetrieverBuilder;
import org.elasticsearch.test.AbstractXContentTestCase;
import org.elasticsearch.usage.SearchUsage;
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
 * The {@code hybrid} retriever's JSON: random instances round-trip through XContent (as
 * Elasticsearch's own RRF retriever is tested), unknown fields are refused, and every limit
 * answers with a message naming the option.
 */
public class HybridRetrieverBuilderParsingTests extends AbstractXContentTestCase<HybridRetrieverBuilder> {

    static HybridRetrieverBuilder randomHybrid(int children) {
        List<RetrieverSource> sources = new ArrayList<>();
        float[] weights = new float[children];
        for (int i = 0; i < children; i++) {
            sources.add(RetrieverSource.from(TestRetrieverBuilder.createRandomTestRetrieverBuilder()));
            weights[i] = randomBoolean() ? 1f : randomFloatBetween(0.01f, 5f, true);
        }
        return new HybridRetrieverBuilder(sources, randomFrom(FusionMethod.values()), weights, randomFrom(ScoreNormalization.values()),
            randomIntBetween(1, 1000), randomIntBetween(1, HybridRetrieverBuilder.MAX_RANK_WINDOW_SIZE));
    }

    @Override
    protected HybridRetrieverBuilder createTestInstance() {
        return randomHybrid(randomIntBetween(2, HybridRetrieverBuilder.MAX_RETRIEVERS));
    }

    @Override
    protected HybridRetrieverBuilder doParseInstance(XContentParser parser) throws IOException {
        // A retriever's XContent is wrapped in its name, as in a search body: {"hybrid": {...}}.
        assertEquals(XContentParser.Token.START_OBJECT, parser.nextToken());
        assertEquals(XContentParser.Token.FIELD_NAME, parser.nextToken());
        assertEquals(HybridRetrieverBuilder.NAME, parser.currentName());
        assertEquals(XContentParser.Token.START_OBJECT, parser.nextToken());
        HybridRetrieverBuilder hybrid = HybridRetrieverBuilder.PARSER.apply(parser,
            new RetrieverParserContext(new SearchUsage(), nf -> true));
        assertEquals(XContentParser.Token.END_OBJECT, parser.nextToken());
        return hybrid;
    }

    @Override
    protected boolean supportsUnknownFields() {
        return false;
    }

    @Override
    protected NamedXContentRegistry xContentRegistry() {
        return new NamedXContentRegistry(List.of(
            new NamedXContentRegistry.Entry(RetrieverBuilder.class, TestRetrieverBuilder.TEST_SPEC.getName(),
                (p, c) -> TestRetrieverBuilder.TEST_SPEC.getParser().fromXContent(p, (RetrieverParserContext) c),
                TestRetrieverBuilder.TEST_SPEC.getName().getForRestApiVersion()),
            new NamedXContentRegistry.Entry(RetrieverBuilder.class, new ParseField(HybridRetrieverBuilder.NAME),
                (p, c) -> HybridRetrieverBuilder.PARSER.apply(p, (RetrieverParserContext) c))));
    }

    private HybridRetrieverBuilder parse(String json) throws IOException {
        try (XContentParser parser = JsonXContent.jsonXContent.createParser(
            XContentParserConfiguration.EMPTY.withRegistry(xContentRegistry()), json)) {
            return HybridRetrieverBuilder.PARSER.apply(parser, new RetrieverParserContext(new SearchUsage(), nf -> true));
        }
    }

    private static String children(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("{\"test\":{\"value\":\"v" + i + "\"}}");
        }
        return "[" + String.join(",", out) + "]";
    }

    private void assertRefused(String json, String... mustMention) {
        XContentParseException e = expectThrows(XContentParseException.class, () -> parse(json));
        Throwable cause = e.getCause() == null ? e : e.getCause();
        for (String m : mustMention) {
            assertTrue(cause.getMessage() + " should mention " + m, cause.getMessage().contains(m));
        }
    }

    public void testDefaultsAreRrfWithEqualWeights() throws IOException {
        HybridRetrieverBuilder hybrid = parse("{\"retrievers\":" + children(2) + "}");
        assertEquals(HybridRetrieverBuilder.DEFAULT_RANK_WINDOW_SIZE, hybrid.rankWindowSize());
    }

    public void testLimitsAreBadRequestsNamingTheOption() {
        assertRefused("{\"retrievers\":" + children(2) + ",\"weights\":[1e39,1]}", "[weights]", "finite");
        assertRefused("{\"retrievers\":" + children(2) + ",\"weights\":[0,0]}", "[weights]", "all 0");
        assertRefused("{\"retrievers\":" + children(2) + ",\"weights\":[-1,1]}", "[weights]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"weights\":[1]}", "[weights]");
        assertRefused("{\"retrievers\":" + children(1) + "}", "[retrievers]");
        assertRefused("{\"retrievers\":" + children(HybridRetrieverBuilder.MAX_RETRIEVERS + 1) + "}", "[retrievers]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"rank_window_size\":10001}", "[rank_window_size]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"rank_window_size\":0}", "[rank_window_size]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"rank_constant\":0}", "[rank_constant]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"fusion\":\"max\"}", "[fusion]");
        assertRefused("{\"retrievers\":" + children(2) + ",\"normalizer\":\"z\"}", "[normalizer]");
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
        float[] weights = new float[2];
        Arrays.fill(weights, 1f);
        return new HybridRetrieverBuilder(List.of(RetrieverSource.from(inner),
            RetrieverSource.from(TestRetrieverBuilder.createRandomTestRetrieverBuilder())), FusionMethod.RRF, weights,
            ScoreNormalization.MIN_MAX, 60, 100);
    }
}
