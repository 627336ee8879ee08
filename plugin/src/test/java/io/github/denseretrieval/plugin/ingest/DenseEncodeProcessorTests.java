package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.plugin.DenseRetrievalPlugin;
import io.github.denseretrieval.plugin.DenseRetrievalSettings;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import io.github.denseretrieval.plugin.stats.ModelStatsSnapshot;
import io.github.denseretrieval.plugin.stats.NodeEncodeStats;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.elasticsearch.ExceptionsHelper;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.ingest.IngestDocument;
import org.elasticsearch.ingest.TestIngestDocument;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.test.ESTestCase;
import org.elasticsearch.threadpool.ExecutorBuilder;
import org.elasticsearch.threadpool.TestThreadPool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code dense_encode} on documents, with the real model and the plugin's own ingest pool: the
 * vector equals in-process encoding, bad fields fail only their document with a 400, and a
 * pipeline whose model the node lacked heals once the folder is copied and reloaded.
 */
@LuceneTestCase.SuppressFileSystems("*")
public class DenseEncodeProcessorTests extends ESTestCase {

    private static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));

    private TestThreadPool threadPool;
    private ModelRegistry registry;
    private PassageBatchers batchers;
    private NodeEncodeStats stats;
    private Path configModels;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        List<ExecutorBuilder<?>> executors = new DenseRetrievalPlugin(Settings.EMPTY).getExecutorBuilders(Settings.EMPTY);
        threadPool = new TestThreadPool(getTestName(), executors.toArray(ExecutorBuilder[]::new));
        configModels = createTempDir().resolve("models");
        Files.createDirectories(configModels);
        registry = new ModelRegistry(null, configModels, new EncoderOptions(8, 1, 1, DeviceChoice.CPU), "node-under-test", true);
        copyModel("all-minilm-l6-v2", configModels.resolve("minilm"));
        registry.reload();
        stats = new NodeEncodeStats();
        batchers = new PassageBatchers(registry, stats, threadPool, DenseRetrievalSettings.INGEST_EXECUTOR, 8, TimeValue.timeValueMillis(5),
            64);
    }

    @Override
    public void tearDown() throws Exception {
        batchers.close();
        registry.close();
        terminate(threadPool);
        super.tearDown();
    }

    private static void copyModel(String from, Path to) throws Exception {
        Files.createDirectories(to);
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            Files.copy(MODELS.resolve(from).resolve(f), to.resolve(f));
        }
    }

    private DenseEncodeProcessor processor(Map<String, Object> config) throws Exception {
        return new DenseEncodeProcessor.Factory(() -> registry, () -> batchers).create(Map.of(), "t", null, new HashMap<>(config));
    }

    /** Runs the processor; returns the document, or throws what the handler was given. */
    private static IngestDocument run(DenseEncodeProcessor processor, Map<String, Object> source) throws Exception {
        CompletableFuture<IngestDocument> result = new CompletableFuture<>();
        processor.execute(TestIngestDocument.withDefaultVersion(new HashMap<>(source)), (doc, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(doc);
            }
        });
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    public void testTheVectorIsTheModelsOwn() throws Exception {
        DenseEncodeProcessor processor = processor(Map.of("model_id", "minilm", "field", List.of("title", "text"), "target_field", "v"));
        IngestDocument doc = run(processor, Map.of("title", "Malaria", "text", "Mosquitoes spread the parasite."));
        @SuppressWarnings("unchecked")
        List<Float> vector = (List<Float>) doc.getFieldValue("v", List.class);
        try (TextEncoder local = TextEncoder.open(MODELS.resolve("all-minilm-l6-v2"))) {
            float[] expected = local.encodePassages(List.of("Malaria Mosquitoes spread the parasite."))[0];
            assertEquals(expected.length, vector.size());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], vector.get(i), 1e-5f);
            }
        }
        ModelStatsSnapshot counted = stats.snapshot(batchers::unanswered).get("minilm");
        assertEquals(1, counted.passages());
        assertEquals(1, counted.forwardPasses());
        assertEquals(0, counted.truncatedTexts());
        assertEquals(1, counted.batchLatency().samples());
        assertEquals(0, counted.queued());
    }

    public void testBadFieldsFailTheDocumentWithA400() throws Exception {
        DenseEncodeProcessor processor = processor(Map.of("model_id", "minilm", "field", "text"));
        for (Map<String, Object> bad : List.of(Map.<String, Object>of("title", "no text"), Map.<String, Object>of("text", "   "),
            Map.<String, Object>of("text", 42))) {
            Exception e = expectThrows(Exception.class, () -> run(processor, bad));
            assertEquals(bad.toString(), RestStatus.BAD_REQUEST, ExceptionsHelper.status(e));
        }
        DenseEncodeProcessor lenient = processor(Map.of("model_id", "minilm", "field", "text", "ignore_missing", true));
        assertFalse(run(lenient, Map.of("title", "no text")).hasField("text_vector"));
    }

    public void testAPipelineForAMissingModelHealsAfterReload() throws Exception {
        DenseEncodeProcessor processor = processor(Map.of("model_id", "late-model", "field", "text"));
        Exception missing = expectThrows(Exception.class, () -> run(processor, Map.of("text", "insulin resistance")));
        assertEquals(RestStatus.NOT_FOUND, ExceptionsHelper.status(missing));
        assertTrue(missing.getMessage(), missing.getMessage().contains("[late-model]") && missing.getMessage().contains("[node-under-test]"));

        copyModel("all-minilm-l6-v2", configModels.resolve("late-model"));
        registry.reload();
        IngestDocument healed = run(processor, Map.of("text", "insulin resistance"));
        assertEquals(384, healed.getFieldValue("text_vector", List.class).size());
    }

    public void testChunkingWritesOneObjectPerWindowWithExactOffsets() throws Exception {
        String text = "Malaria is caused by Plasmodium parasites. \uD83E\uDDEC Mosquitoes of the genus Anopheles carry them. ".repeat(8);
        DenseEncodeProcessor processor = processor(Map.of("model_id", "minilm", "field", "text", "target_field", "chunks",
            "chunking", Map.of("max_tokens", 24, "overlap_tokens", 4, "include_text", true)));
        IngestDocument doc = run(processor, Map.of("text", text));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> chunks = (List<Map<String, Object>>) doc.getFieldValue("chunks", List.class);
        assertTrue(chunks.size() > 4);
        assertFalse(doc.hasField("chunks_capped"));
        try (TextEncoder local = TextEncoder.open(MODELS.resolve("all-minilm-l6-v2"))) {
            for (int i = 0; i < chunks.size(); i++) {
                Map<String, Object> c = chunks.get(i);
                assertEquals(i, c.get("index"));
                String window = text.substring((Integer) c.get("start"), (Integer) c.get("end"));
                assertEquals(window, c.get("text"));
                float[] expected = local.encodePassages(List.of(window))[0];
                @SuppressWarnings("unchecked")
                List<Float> vector = (List<Float>) c.get("vector");
                for (int d = 0; d < expected.length; d++) {
                    assertEquals(expected[d], vector.get(d), 1e-5f);
                }
            }
        }
        ModelStatsSnapshot counted = stats.snapshot(batchers::unanswered).get("minilm");
        assertEquals(1, counted.chunkedDocuments());
        assertEquals(chunks.size(), counted.chunks());
    }

    public void testAChunkCapIsRecordedOnTheDocumentAndInTheStats() throws Exception {
        DenseEncodeProcessor processor = processor(Map.of("model_id", "minilm", "field", "text", "target_field", "chunks",
            "chunking", Map.of("max_tokens", 16, "overlap_tokens", 0, "max_chunks", 2)));
        IngestDocument doc = run(processor, Map.of("text", "insulin resistance precedes diabetes ".repeat(40)));
        assertEquals(2, doc.getFieldValue("chunks", List.class).size());
        assertEquals(true, doc.getFieldValue("chunks_capped", Boolean.class));
        assertEquals(1, stats.snapshot(batchers::unanswered).get("minilm").cappedDocuments());
    }
}
