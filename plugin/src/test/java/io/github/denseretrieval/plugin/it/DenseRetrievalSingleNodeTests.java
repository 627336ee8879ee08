package io.github.denseretrieval.plugin.it;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.plugin.DenseRetrievalPlugin;
import io.github.denseretrieval.plugin.action.EncodeTextAction;
import io.github.denseretrieval.plugin.search.DenseEncodeVectorBuilder;
import io.github.denseretrieval.plugin.search.DenseQueryBuilder;
import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.plugin.search.hybrid.HybridRetrieverBuilder;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.elasticsearch.ExceptionsHelper;
import org.elasticsearch.action.bulk.BulkRequestBuilder;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.search.SearchResponse;
import org.elasticsearch.action.support.WriteRequest;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.query.MatchQueryBuilder;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.search.retriever.CompoundRetrieverBuilder.RetrieverSource;
import org.elasticsearch.search.retriever.StandardRetrieverBuilder;
import org.elasticsearch.search.vectors.KnnSearchBuilder;
import org.elasticsearch.test.ESSingleNodeTestCase;
import org.elasticsearch.xcontent.XContentType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.elasticsearch.test.hamcrest.ElasticsearchAssertions.assertResponse;

/**
 * The plugin inside an in-JVM Elasticsearch node with the real bundled model: passages encoded by
 * the {@code dense_encode} pipeline, questions encoded by the {@code dense} query, the
 * {@code dense_encode} vector builder and the {@code hybrid} retriever, through the node's own
 * client. Faster to vary than the real-node suite, which tests the installed zip.
 */
@LuceneTestCase.SuppressFileSystems("*")
public class DenseRetrievalSingleNodeTests extends ESSingleNodeTestCase {

    private static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    private static final String INDEX = "passages";
    private static final List<String> PASSAGES = List.of(
        "Malaria is caused by Plasmodium parasites transmitted by Anopheles mosquitoes.",
        "Insulin resistance in muscle and liver precedes type 2 diabetes.",
        "Aspirin lowers the risk of colorectal cancer in long-term users.",
        "Vaccination trains the immune system to recognise pathogens.",
        "Regular aerobic exercise improves cardiovascular fitness.",
        "Smoking is the leading cause of lung cancer.",
        "Vitamin D is produced in the skin on exposure to sunlight.",
        "Antibiotics do not work against viral infections such as influenza.",
        "Sleep deprivation impairs memory consolidation.",
        "High salt intake raises blood pressure in many adults.",
        "The hippocampus is essential for forming new memories.",
        "Statins lower LDL cholesterol and cardiovascular events.",
        "Gut bacteria influence the metabolism of dietary fibre.",
        "Sickle cell trait offers some protection against malaria.",
        "Obesity increases the risk of osteoarthritis of the knee.",
        "Folic acid in pregnancy reduces neural tube defects.",
        "Air pollution is linked to asthma attacks in children.",
        "Caffeine blocks adenosine receptors in the brain.",
        "Iron deficiency is the most common cause of anaemia.",
        "Mutations in BRCA1 raise the risk of breast cancer.");

    private Path home;

    @Override
    protected Collection<Class<? extends Plugin>> getPlugins() {
        return List.of(DenseRetrievalPlugin.class);
    }

    @Override
    protected boolean resetNodeAfterTest() {
        return true;
    }

    @Override
    protected Settings nodeSettings() {
        try {
            // The node reads operator models from <home>/config/dense-retrieval/models: put the default model there
            // (hard links where the file system allows; the plugin refuses weights behind a symbolic link).
            if (home == null) {
                home = createTempDir();
                Path model = home.resolve("config").resolve(DenseRetrievalPlugin.CONFIG_MODELS_DIR).resolve("bge-small-en-v1.5");
                Files.createDirectories(model);
                for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
                    Path source = MODELS.resolve("bge-small-en-v1.5").resolve(f).toAbsolutePath();
                    try {
                        Files.createLink(model.resolve(f), source);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(source, model.resolve(f));
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return Settings.builder().put(super.nodeSettings()).put("path.home", home).build();
    }

    private void ingest() {
        client().admin().cluster().preparePutPipeline("dense", new BytesArray(
            "{\"processors\":[{\"dense_encode\":{\"field\":\"text\",\"target_field\":\"text_vector\"}}]}"), XContentType.JSON).get();
        client().admin().indices().prepareCreate(INDEX).setSettings(Settings.builder().put("number_of_shards", 1))
            .setMapping("{\"properties\":{\"text\":{\"type\":\"text\"},\"text_vector\":{\"type\":\"dense_vector\",\"dims\":384,"
                + "\"similarity\":\"dot_product\",\"index\":true}}}").get();
        BulkRequestBuilder bulk = client().prepareBulk().setRefreshPolicy(WriteRequest.RefreshPolicy.IMMEDIATE);
        for (int i = 0; i < PASSAGES.size(); i++) {
            bulk.add(client().prepareIndex(INDEX).setId(String.valueOf(i)).setPipeline("dense")
                .setSource("{\"text\":\"" + PASSAGES.get(i) + "\"}", XContentType.JSON));
        }
        BulkResponse response = bulk.get();
        assertFalse(response.buildFailureMessage(), response.hasFailures());
    }

    public void testDenseQueryFindsTheAnsweringPassageAndKFollowsSize() {
        ingest();
        assertResponse(client().prepareSearch(INDEX).setQuery(new DenseQueryBuilder("text_vector", "what spreads malaria", null, 5, 50, null)),
            r -> {
                assertEquals(5, r.getHits().getHits().length);
                assertEquals("0", r.getHits().getAt(0).getId());
            });
        // Without k, the query returns as many hits as the search asks for (Elasticsearch's knn default), not 10.
        assertResponse(client().prepareSearch(INDEX).setSize(15).setQuery(new DenseQueryBuilder("text_vector", "cancer risk", null, null,
            null, null)), r -> assertEquals(15, r.getHits().getHits().length));
    }

    public void testKnnWithTheVectorBuilderAndTheHybridRetriever() {
        ingest();
        assertResponse(client().prepareSearch(INDEX).setKnnSearch(List.of(new KnnSearchBuilder("text_vector",
            new DenseEncodeVectorBuilder(null, "memory and the brain"), 3, 20, null, null))), r -> {
                List<String> ids = java.util.Arrays.stream(r.getHits().getHits()).map(h -> h.getId()).toList();
                assertTrue(ids.toString(), ids.contains("10") || ids.contains("8"));
            });
        HybridRetrieverBuilder hybrid = new HybridRetrieverBuilder(HybridRetrieverBuilder.LINEAR_NAME, List.of(
            RetrieverSource.from(new StandardRetrieverBuilder(new MatchQueryBuilder("text", "malaria mosquitoes"))),
            RetrieverSource.from(new StandardRetrieverBuilder(new DenseQueryBuilder("text_vector", "malaria mosquitoes", null, null, null,
                null)))), FusionSpec.linear(ScoreNormalizer.Z_SCORE, 0.2f, 0.8f), 20);
        assertResponse(client().prepareSearch(INDEX).setSource(new SearchSourceBuilder().retriever(hybrid).size(3)), r -> {
            assertEquals(3, r.getHits().getHits().length);
            assertEquals("0", r.getHits().getAt(0).getId());
        });
    }

    public void testCandidatesFromTheDenseChildAreExactlyDensesTopDocumentsReordered() {
        ingest();
        String question = "blood sugar and insulin";
        Set<String> denseTop = new HashSet<>();
        assertResponse(client().prepareSearch(INDEX).setSize(4).setQuery(new DenseQueryBuilder("text_vector", question, null, 4, 50, null)),
            r -> Arrays.stream(r.getHits().getHits()).forEach(h -> denseTop.add(h.getId())));
        assertEquals(4, denseTop.size());
        // BM25 matches words of many passages ("and"), most of them outside dense's top 4: none of those may enter.
        HybridRetrieverBuilder hybrid = new HybridRetrieverBuilder(HybridRetrieverBuilder.LINEAR_NAME, List.of(
            RetrieverSource.from(new StandardRetrieverBuilder(new MatchQueryBuilder("text", question))),
            RetrieverSource.from(new StandardRetrieverBuilder(new DenseQueryBuilder("text_vector", question, null, 20, 50, null)))),
            FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.5f, 0.5f).withCandidates(1, 4), 20);
        assertResponse(client().prepareSearch(INDEX).setSource(new SearchSourceBuilder().retriever(hybrid).size(10)), r -> {
            Set<String> fused = new HashSet<>();
            Arrays.stream(r.getHits().getHits()).forEach(h -> fused.add(h.getId()));
            assertEquals(denseTop, fused);
        });
    }

    public void testAFailingChildFailsTheFusionNamingTheCauseNeverAShorterList() {
        ingest();
        HybridRetrieverBuilder hybrid = new HybridRetrieverBuilder(HybridRetrieverBuilder.RRF_NAME, List.of(
            RetrieverSource.from(new StandardRetrieverBuilder(new MatchQueryBuilder("text", "malaria mosquitoes"))),
            RetrieverSource.from(new StandardRetrieverBuilder(new DenseQueryBuilder("text_vector", "malaria mosquitoes", "no-such-model",
                null, null, null)))), FusionSpec.rrf(60, 1f, 1f), 20);
        Exception e = expectThrows(Exception.class, () -> client().prepareSearch(INDEX)
            .setSource(new SearchSourceBuilder().retriever(hybrid).size(3)).get().decRef());
        assertEquals(RestStatus.NOT_FOUND, ExceptionsHelper.status(e));
        String chain = ExceptionsHelper.stackTrace(e);
        assertTrue(chain, chain.contains("[no-such-model]"));
    }

    public void testADenseQueryInAnAliasFilterIsABadRequest() {
        ingest();
        Exception e = expectThrows(Exception.class, () -> client().admin().indices().prepareAliases()
            .addAlias(INDEX, "malaria-only", new DenseQueryBuilder("text_vector", "malaria", null, 3, 10, null)).get());
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(e));
        String chain = ExceptionsHelper.stackTrace(e);
        assertTrue(chain, chain.contains("[dense] query can only run in a search request"));
    }

    public void testAnUnknownModelInAQueryIsA404NamingTheNode() {
        ingest();
        Exception e = expectThrows(Exception.class, () -> client().prepareSearch(INDEX)
            .setQuery(new DenseQueryBuilder("text_vector", "malaria", "no-such-model", 3, 10, null)).get().decRef());
        assertEquals(RestStatus.NOT_FOUND, ExceptionsHelper.status(e));
        assertTrue(e.getMessage(), ExceptionsHelper.unwrapCause(e).getMessage().contains("[no-such-model]"));
    }

    public void testTheEncodeApiIsBoundedAndNamesTheLimit() {
        List<String> tooMany = java.util.Collections.nCopies(257, "malaria");
        Exception texts = expectThrows(Exception.class, () -> client().execute(EncodeTextAction.INSTANCE,
            new EncodeTextAction.Request(null, tooMany, TextRole.QUERY)).actionGet());
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(texts));
        assertTrue(texts.getMessage(), texts.getMessage().contains("dense_retrieval.encode.max_texts"));
        List<String> tooLong = List.of("a".repeat(600_000), "b".repeat(600_000));
        Exception chars = expectThrows(Exception.class, () -> client().execute(EncodeTextAction.INSTANCE,
            new EncodeTextAction.Request(null, tooLong, TextRole.PASSAGE)).actionGet());
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(chars));
        assertTrue(chars.getMessage(), chars.getMessage().contains("dense_retrieval.encode.max_chars"));
        assertEquals(256, client().execute(EncodeTextAction.INSTANCE, new EncodeTextAction.Request(null,
            java.util.Collections.nCopies(256, "malaria"), TextRole.QUERY)).actionGet().vectors().size());
    }

    public void testHostileTextIsIndexedWithAFiniteVectorAndTheNodeSurvives() {
        ingest();
        List<String> hostile = List.of("lone \uD800 surrogate", "\uDC00 low first", "nul \u0000 inside", "\u202Eright-to-left override",
            "e\u0301\u0301\u0301\u0301".repeat(200), "\uE000\uF8FF private use", "zero\u200Bwidth\u200Djoiner", "DNA \uD83E\uDDEC repair",
            "[CLS] [SEP] [PAD] [MASK]", "x".repeat(1_000_000), "\u0915\u094D\u0937 \u0E01\u0E34 \uAC00 \u4E2D\u6587 \u0627\u0644");
        BulkRequestBuilder bulk = client().prepareBulk().setRefreshPolicy(WriteRequest.RefreshPolicy.IMMEDIATE);
        for (int i = 0; i < hostile.size(); i++) {
            bulk.add(client().prepareIndex(INDEX).setId("hostile-" + i).setPipeline("dense").setSource(java.util.Map.of("text", hostile.get(i)), XContentType.JSON));
        }
        BulkResponse response = bulk.get();
        assertFalse(response.buildFailureMessage(), response.hasFailures());
        assertResponse(client().prepareSearch(INDEX).setSize(0).setQuery(new DenseQueryBuilder("text_vector", "\uD800 malaria \u0000", null,
            5, 50, null)), r -> assertEquals(5, r.getHits().getTotalHits().value));
    }

    private static final List<String> LONG_DOCUMENTS = List.of(
        "Regular aerobic exercise improves cardiovascular fitness. Statins lower LDL cholesterol. High salt intake raises blood "
            + "pressure in many adults. Sleep deprivation impairs memory consolidation. Vitamin D is produced in the skin.",
        "Air pollution is linked to asthma attacks in children. Folic acid in pregnancy reduces neural tube defects. Iron deficiency "
            + "is the most common cause of anaemia. Malaria is transmitted by the bite of infected Anopheles mosquitoes. Caffeine "
            + "blocks adenosine receptors in the brain.",
        "Smoking is the leading cause of lung cancer. Mutations in BRCA1 raise the risk of breast cancer. Obesity increases the "
            + "risk of osteoarthritis of the knee. Gut bacteria influence the metabolism of dietary fibre.");

    private void ingestChunked() {
        client().admin().cluster().preparePutPipeline("chunked", new BytesArray("{\"processors\":[{\"dense_encode\":{\"field\":\"text\","
            + "\"target_field\":\"text_chunks\",\"chunking\":{\"max_tokens\":16,\"overlap_tokens\":4,\"include_text\":true}}}]}"),
            XContentType.JSON).get();
        client().admin().indices().prepareCreate("long").setSettings(Settings.builder().put("number_of_shards", 1))
            .setMapping("{\"properties\":{\"text\":{\"type\":\"text\"},\"text_chunks\":{\"type\":\"nested\",\"properties\":{"
                + "\"vector\":{\"type\":\"dense_vector\",\"dims\":384,\"similarity\":\"dot_product\",\"index\":true},"
                + "\"index\":{\"type\":\"integer\"},\"start\":{\"type\":\"integer\"},\"end\":{\"type\":\"integer\"},"
                + "\"text\":{\"type\":\"text\",\"index\":false}}}}}").get();
        BulkRequestBuilder bulk = client().prepareBulk().setRefreshPolicy(WriteRequest.RefreshPolicy.IMMEDIATE);
        for (int i = 0; i < LONG_DOCUMENTS.size(); i++) {
            bulk.add(client().prepareIndex("long").setId(String.valueOf(i)).setPipeline("chunked")
                .setSource(java.util.Map.of("text", LONG_DOCUMENTS.get(i))));
        }
        BulkResponse response = bulk.get();
        assertFalse(response.buildFailureMessage(), response.hasFailures());
    }

    private static org.elasticsearch.index.query.NestedQueryBuilder bestChunk(String question, QueryBuilder... chunkFilter) {
        return new org.elasticsearch.index.query.NestedQueryBuilder("text_chunks", new DenseQueryBuilder("text_chunks.vector", question,
            null, 10, 50, List.of(chunkFilter)), org.apache.lucene.search.join.ScoreMode.Max)
            .innerHit(new org.elasticsearch.index.query.InnerHitBuilder().setSize(1));
    }

    public void testAChunkedDocumentIsFoundByItsBestChunkAndShowsIt() {
        ingestChunked();
        String question = "which insect spreads malaria";
        assertResponse(client().prepareSearch("long").setQuery(bestChunk(question)), r -> {
            var top = r.getHits().getAt(0);
            assertEquals("1", top.getId());
            var chunk = top.getInnerHits().get("text_chunks").getAt(0).getSourceAsMap();
            int start = (Integer) chunk.get("start");
            int end = (Integer) chunk.get("end");
            assertEquals(LONG_DOCUMENTS.get(1).substring(start, end), chunk.get("text"));
            assertTrue(chunk.get("text").toString(), chunk.get("text").toString().contains("Malaria is transmitted"));
            assertTrue("the answer is past the first window", start > 0);
        });
        HybridRetrieverBuilder hybrid = new HybridRetrieverBuilder(HybridRetrieverBuilder.RRF_NAME, List.of(
            RetrieverSource.from(new StandardRetrieverBuilder(new MatchQueryBuilder("text", question))),
            RetrieverSource.from(new StandardRetrieverBuilder(bestChunk(question)))), FusionSpec.rrf(60, 1f, 1f), 10);
        assertResponse(client().prepareSearch("long").setSource(new SearchSourceBuilder().retriever(hybrid).size(3)),
            r -> assertEquals("1", r.getHits().getAt(0).getId()));
    }
}
