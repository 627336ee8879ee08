package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextRole;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.ResourceNotFoundException;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.test.ESTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry's lifetimes with real models: a reload or shutdown never frees an encoder that a
 * running forward pass holds (before leases, this killed the node with SIGSEGV in ONNX Runtime), a
 * bad copy of a folder never takes a working model out of service, and errors name the node.
 */
// The encoder and its natives read model folders through the default file system, not the test framework's mock one.
@LuceneTestCase.SuppressFileSystems("*")
public class ModelRegistryTests extends ESTestCase {

    private static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    private static final EncoderOptions OPTIONS = new EncoderOptions(8, 1, 1, DeviceChoice.CPU);

    private Path configModels;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        configModels = createTempDir().resolve("models");
        copyModel("all-minilm-l6-v2", configModels.resolve("minilm"));
    }

    private static void copyModel(String from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            Files.copy(MODELS.resolve(from).resolve(f), to.resolve(f));
        }
    }

    private ModelRegistry registry(boolean enabled) {
        return new ModelRegistry(null, configModels, OPTIONS, "node-under-test", enabled);
    }

    private static void touch(Path file, int step) throws IOException {
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 1000L * step));
    }

    public void testReloadsUnderConcurrentEncodingNeverFreeAModelInUse() throws Exception {
        ModelRegistry registry = registry(true);
        registry.reload();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger encoded = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> encoders = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread thread = new Thread(() -> {
                while (stop.get() == false) {
                    try (EncoderLease lease = registry.acquire("minilm")) {
                        float[][] v = lease.encoder().encode(List.of("malaria is spread by mosquitoes", "insulin and the liver"),
                            TextRole.PASSAGE);
                        assertEquals(384, v[0].length);
                        encoded.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "encoder-" + t);
            thread.start();
            encoders.add(thread);
        }
        int reloads = 8;
        try {
            for (int i = 1; i <= reloads; i++) {
                touch(configModels.resolve("minilm/model.json"), i);
                List<ModelStatus> statuses = registry.reload();
                assertTrue(statuses.get(0).loaded());
            }
        } finally {
            stop.set(true);
            for (Thread thread : encoders) {
                thread.join(60_000);
            }
        }
        assertEquals(List.of(), failures);
        assertTrue("encoding ran during the reloads", encoded.get() > 0);
        registry.close();
    }

    public void testAFailedReloadKeepsServingThePreviousWeights() throws Exception {
        ModelRegistry registry = registry(true);
        registry.reload();
        String digest = registry.status("minilm").digest();
        assertEquals(64, digest.length());
        Path manifest = configModels.resolve("minilm/model.json");
        String good = Files.readString(manifest);
        Files.writeString(manifest, good.replace("\"dimensions\": 384", "\"dimensions\": 768"));

        ModelStatus afterBadCopy = registry.reload().get(0);
        assertTrue("still served", afterBadCopy.loaded());
        assertEquals(digest, afterBadCopy.digest());
        assertNotNull(afterBadCopy.reloadError());
        assertTrue(afterBadCopy.reloadError(), afterBadCopy.reloadError().contains("[768]"));
        try (EncoderLease lease = registry.acquire("minilm")) {
            assertEquals(384, lease.encoder().encodeQuery("still works").length);
        }

        Files.writeString(manifest, good);
        touch(manifest, 5);
        ModelStatus repaired = registry.reload().get(0);
        assertTrue(repaired.loaded());
        assertNull(repaired.reloadError());
        registry.close();
    }

    public void testCloseLetsRunningPassesFinishAndRefusesNewLeases() throws Exception {
        ModelRegistry registry = registry(true);
        registry.reload();
        EncoderLease held = registry.acquire("minilm");
        CountDownLatch closed = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            registry.close();
            closed.countDown();
        }, "closer");
        closer.start();
        assertFalse("close waits for the running pass", closed.await(300, TimeUnit.MILLISECONDS));
        ElasticsearchStatusException refused = expectThrows(ElasticsearchStatusException.class, () -> registry.acquire("minilm"));
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, refused.status());
        assertEquals("the held encoder still works", 384, held.encoder().encodeQuery("after close").length);
        held.close();
        assertTrue(closed.await(10, TimeUnit.SECONDS));
        closer.join();
    }

    public void testErrorsNameTheModelAndTheNode() throws Exception {
        ModelRegistry registry = registry(true);
        registry.reload();
        ResourceNotFoundException unknown = expectThrows(ResourceNotFoundException.class, () -> registry.acquire("late-model"));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains("[late-model]") && unknown.getMessage().contains("[node-under-test]"));
        Path broken = configModels.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("model.json"), "{not json");
        registry.reload();
        ElasticsearchStatusException failed = expectThrows(ElasticsearchStatusException.class, () -> registry.acquire("broken"));
        assertEquals(RestStatus.CONFLICT, failed.status());
        registry.close();

        ModelRegistry disabled = registry(false);
        assertEquals(List.of(), disabled.reload());
        ResourceNotFoundException none = expectThrows(ResourceNotFoundException.class, () -> disabled.acquire("minilm"));
        assertTrue(none.getMessage(), none.getMessage().contains("dense_retrieval.models.load"));
        disabled.close();
    }

    public void testIdenticalFoldersHaveOneDigestAndAChangedOneAnother() throws Exception {
        copyModel("all-minilm-l6-v2", configModels.resolve("minilm-copy"));
        ModelRegistry registry = registry(true);
        registry.reload();
        assertEquals(registry.status("minilm").digest(), registry.status("minilm-copy").digest());
        Path manifest = configModels.resolve("minilm-copy/model.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"normalize\": true", "\"normalize\": false"));
        touch(manifest, 3);
        registry.reload();
        assertNotEquals(registry.status("minilm").digest(), registry.status("minilm-copy").digest());
        registry.close();
    }
}
