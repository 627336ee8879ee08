package io.github.denseretrieval.plugin.search;

import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.plugin.DenseRetrievalPlugin;
import io.github.denseretrieval.plugin.action.EncodeTextAction;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.ActionType;
import org.elasticsearch.client.internal.Client;
import org.elasticsearch.common.Strings;
import org.elasticsearch.common.compress.CompressedXContent;
import org.elasticsearch.index.mapper.MapperService;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.SearchExecutionContext;
import org.elasticsearch.index.query.TermQueryBuilder;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.test.AbstractQueryTestCase;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentFactory;
import org.junit.AfterClass;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The {@code dense} query through Elasticsearch's own query-builder checks (random instances, wire
 * and XContent round trips, equals/hashCode, unknown fields, boost and {@code _name}), and its
 * rewrite into a Lucene kNN query whose target is the question's vector from the real bundled
 * model: the framework's client answers the internal encode action by running the model.
 */
// The encoder reads its model folder through the default file system, not the framework's mock one.
@LuceneTestCase.SuppressFileSystems("*")
public class DenseQueryBuilderTests extends AbstractQueryTestCase<DenseQueryBuilder> {

    private static final String VECTOR_FIELD = "text_vector";
    private static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    private static TextEncoder encoder;

    private static synchronized TextEncoder encoder() {
        if (encoder == null) {
            encoder = TextEncoder.open(MODELS.resolve("bge-small-en-v1.5"));
        }
        return encoder;
    }

    @AfterClass
    public static void closeEncoder() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }

    @Override
    protected Collection<Class<? extends Plugin>> getPlugins() {
        return List.of(DenseRetrievalPlugin.class);
    }

    @Override
    protected void initializeAdditionalMappings(MapperService mapperService) throws IOException {
        XContentBuilder mapping = XContentFactory.jsonBuilder().startObject().startObject("properties").startObject(VECTOR_FIELD)
            .field("type", "dense_vector").field("dims", 384).field("similarity", "dot_product").field("index", true)
            .endObject().endObject().endObject();
        mapperService.merge("_doc", new CompressedXContent(Strings.toString(mapping)), MapperService.MergeReason.MAPPING_UPDATE);
    }

    @Override
    protected DenseQueryBuilder doCreateTestQueryBuilder() {
        Integer k = randomBoolean() ? null : randomIntBetween(1, 50);
        Integer numCandidates = randomBoolean() ? null : randomIntBetween(Math.max(10, k == null ? 1 : k), 200);
        List<QueryBuilder> filters = randomBoolean() ? null : List.of(new TermQueryBuilder(KEYWORD_FIELD_NAME, randomAlphaOfLength(5)));
        String question = String.join(" ", randomArray(1, 6, String[]::new, () -> randomAlphaOfLengthBetween(2, 9)));
        return new DenseQueryBuilder(VECTOR_FIELD, question, randomBoolean() ? null : "bge-small-en-v1.5", k, numCandidates, filters);
    }

    @Override
    protected boolean canSimulateMethod(Method method, Object[] args) throws NoSuchMethodException {
        return method.equals(Client.class.getMethod("execute", ActionType.class, ActionRequest.class, ActionListener.class))
            && args[0] == EncodeTextAction.FOR_SEARCH;
    }

    @Override
    protected Object simulateMethod(Method method, Object[] args) {
        EncodeTextAction.Request request = (EncodeTextAction.Request) args[1];
        assertEquals(TextRole.QUERY, request.role());
        assertEquals("one question per search", 1, request.texts().size());
        @SuppressWarnings("unchecked")
        ActionListener<EncodeTextAction.Response> listener = (ActionListener<EncodeTextAction.Response>) args[2];
        float[][] vectors = encoder().encode(request.texts(), request.role());
        listener.onResponse(new EncodeTextAction.Response("bge-small-en-v1.5", Arrays.asList(vectors)));
        return null;
    }

    @Override
    protected void doAssertLuceneQuery(DenseQueryBuilder queryBuilder, Query query, SearchExecutionContext context) {
        while (query instanceof BoostQuery boosted) {
            query = boosted.getQuery();
        }
        assertTrue("a kNN query, got " + query.getClass(), query instanceof KnnFloatVectorQuery);
        KnnFloatVectorQuery knn = (KnnFloatVectorQuery) query;
        assertEquals(VECTOR_FIELD, knn.getField());
        float[] expected = encoder().encodeQuery(queryBuilder.query());
        float[] actual = knn.getTargetCopy();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals("component " + i, expected[i], actual[i], 1e-6f);
        }
    }

    @Override
    public void testMustRewrite() {
        SearchExecutionContext context = createSearchExecutionContext();
        DenseQueryBuilder builder = new DenseQueryBuilder(VECTOR_FIELD, "what causes malaria", null, null, null, null);
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> builder.toQuery(context));
        assertTrue(e.getMessage(), e.getMessage().contains("rewritten"));
    }

    public void testKAndNumCandidatesDefaultToElasticsearchsKnnDefaults() throws IOException {
        DenseQueryBuilder parsed = (DenseQueryBuilder) parseQuery("{\"dense\":{\"field\":\"text_vector\",\"query\":\"malaria\"}}");
        assertNull("k follows the search size, as knn's does", parsed.k());
        assertNull(parsed.numCandidates());
        assertFalse(Strings.toString(parsed).contains("\"k\""));
    }

    public void testShardLevelRewriteIsABadRequestNotAServerError() {
        DenseQueryBuilder builder = new DenseQueryBuilder(VECTOR_FIELD, "what causes malaria", null, 10, 100, null);
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> builder.rewrite(createSearchExecutionContext()));
        assertTrue(e.getMessage(), e.getMessage().contains("alias filter"));
    }

    public void testBadOptionsAreNamed() {
        assertOption("[k]", () -> new DenseQueryBuilder(VECTOR_FIELD, "q", null, 0, null, null));
        assertOption("[k]", () -> new DenseQueryBuilder(VECTOR_FIELD, "q", null, 10_001, null, null));
        assertOption("[num_candidates]", () -> new DenseQueryBuilder(VECTOR_FIELD, "q", null, 10, 5, null));
        assertOption("[num_candidates]", () -> new DenseQueryBuilder(VECTOR_FIELD, "q", null, null, 10_001, null));
        assertOption("[query]", () -> new DenseQueryBuilder(VECTOR_FIELD, " ", null, null, null, null));
        assertOption("[field]", () -> new DenseQueryBuilder("", "q", null, null, null, null));
        assertOption("[model_id]", () -> new DenseQueryBuilder(VECTOR_FIELD, "q", " ", null, null, null));
    }

    private static void assertOption(String option, ThrowingRunnable construct) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, construct);
        assertTrue(e.getMessage() + " should name " + option, e.getMessage().contains(option));
    }
}
