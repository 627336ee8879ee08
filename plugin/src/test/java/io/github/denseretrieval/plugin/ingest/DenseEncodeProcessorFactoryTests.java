package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.elasticsearch.ElasticsearchParseException;
import org.elasticsearch.test.ESTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration error of {@code dense_encode} fails pipeline creation with a message naming
 * the processor option, and a model the node does not serve yet does not (see
 * {@link DenseEncodeProcessor} for why).
 */
@LuceneTestCase.SuppressFileSystems("*")
public class DenseEncodeProcessorFactoryTests extends ESTestCase {

    private static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    private static ModelRegistry registry;

    @BeforeClass
    public static void loadModels() {
        // The plugin's bundled folder holds the default model; the test uses the build's copy of it.
        registry = new ModelRegistry(MODELS, null, new EncoderOptions(8, 1, 1, DeviceChoice.CPU), "node-under-test", true);
        registry.reload();
    }

    @AfterClass
    public static void closeModels() {
        registry.close();
        registry = null;
    }

    private static DenseEncodeProcessor create(Map<String, Object> config) throws Exception {
        return new DenseEncodeProcessor.Factory(() -> registry, () -> null).create(Map.of(), "tag-1", null, new HashMap<>(config));
    }

    private static void assertRefused(Map<String, Object> config, String option) {
        ElasticsearchParseException e = expectThrows(ElasticsearchParseException.class, () -> create(config));
        assertTrue(e.getMessage() + " should name [" + option + "]", e.getMessage().contains("[" + option + "]"));
        assertEquals("dense_encode", e.getMetadata("es.processor_type").get(0));
        assertEquals("tag-1", e.getMetadata("es.processor_tag").get(0));
    }

    public void testDefaults() throws Exception {
        DenseEncodeProcessor processor = create(Map.of("field", "text"));
        assertEquals("dense_encode", processor.getType());
        assertTrue(processor.isAsync());
    }

    public void testEveryBadOptionIsNamed() {
        assertRefused(Map.of(), "field");
        assertRefused(Map.of("field", List.of()), "field");
        assertRefused(Map.of("field", ""), "field");
        assertRefused(Map.of("field", 42), "field");
        assertRefused(Map.of("field", List.of("title", "text")), "target_field");
        assertRefused(Map.of("field", "text", "target_field", ""), "target_field");
        assertRefused(Map.of("field", "text", "model_id", ""), "model_id");
        assertRefused(Map.of("field", "text", "model_id", 7), "model_id");
        assertRefused(Map.of("field", "text", "ignore_missing", "perhaps"), "ignore_missing");
        assertRefused(Map.of("field", "text", "separator", List.of()), "separator");
        assertRefused(Map.of("field", "text", "chunking", "yes"), "chunking");
        assertRefused(Map.of("field", "text", "chunking", Map.of("max_tokens", 4)), "chunking");
        assertRefused(Map.of("field", "text", "chunking", Map.of("max_tokens", "many")), "chunking.max_tokens");
        assertRefused(Map.of("field", "text", "chunking", Map.of("max_tokens", 64, "overlap_tokens", 64)), "chunking");
        assertRefused(Map.of("field", "text", "chunking", Map.of("max_chunks", 0)), "chunking");
        assertRefused(Map.of("field", "text", "chunking", Map.of("window", 64)), "chunking");
    }

    public void testAModelThisNodeLacksStillCreatesThePipeline() throws Exception {
        // Created on every node from the cluster state: failing here would leave a placeholder
        // pipeline that fails every document for ever on a node that gets the model later.
        DenseEncodeProcessor processor = create(Map.of("field", "text", "model_id", "late-model"));
        assertEquals("dense_encode", processor.getType());
    }
}
