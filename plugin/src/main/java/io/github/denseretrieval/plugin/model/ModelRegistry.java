package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.TextEncoder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.ResourceNotFoundException;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.ElasticsearchStatusException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The models a node serves: the default model bundled in the plugin plus every model folder
 * under {@code config/dense-retrieval/models/<model_id>/}. Each is loaded once and shared by the
 * ingest processor, the query and the encode API.
 *
 * <p>A folder that fails to load is recorded with its error (shown by {@code GET _dense/models}
 * and logged) and does not stop the node or the other models. {@link #reload()} re-reads the
 * folders: unchanged models keep their loaded encoder, changed or removed ones are closed.
 * Thread-safe: the map of models is replaced atomically; readers never see a partial reload.
 */
public final class ModelRegistry implements Closeable {

    /** The model used when a request names none. */
    public static final String DEFAULT_MODEL_ID = "bge-small-en-v1.5";

    private static final Logger logger = LogManager.getLogger(ModelRegistry.class);

    private record Entry(ModelStatus status, TextEncoder encoder, long stamp) {}

    private final Path bundledDir;
    private final Path configModelsDir;
    private final EncoderOptions options;
    private volatile Map<String, Entry> models = Map.of();

    /**
     * @param bundledDir      the plugin's own {@code models/} folder (the default model)
     * @param configModelsDir {@code config/dense-retrieval/models}; may not exist
     */
    public ModelRegistry(Path bundledDir, Path configModelsDir, EncoderOptions options) {
        this.bundledDir = bundledDir;
        this.configModelsDir = configModelsDir;
        this.options = options;
    }

    /** Loads (or re-loads) every model folder; returns the statuses after the reload. */
    public synchronized List<ModelStatus> reload() {
        Map<String, Path> folders = new TreeMap<>();
        Map<String, Boolean> bundled = new HashMap<>();
        scan(bundledDir, folders, bundled, true);
        // Operator models may override the bundled one of the same id.
        scan(configModelsDir, folders, bundled, false);
        Map<String, Entry> previous = models;
        Map<String, Entry> next = new HashMap<>();
        for (Map.Entry<String, Path> f : folders.entrySet()) {
            String id = f.getKey();
            Path folder = f.getValue();
            long stamp = stamp(folder);
            Entry old = previous.get(id);
            if (old != null && old.stamp == stamp && old.status.folder().equals(folder) && old.status.loaded()) {
                next.put(id, old);
                continue;
            }
            next.put(id, load(id, folder, stamp, bundled.get(id)));
        }
        models = Map.copyOf(next);
        for (Map.Entry<String, Entry> old : previous.entrySet()) {
            Entry kept = next.get(old.getKey());
            if (old.getValue().encoder != null && (kept == null || kept.encoder != old.getValue().encoder)) {
                old.getValue().encoder.close();
            }
        }
        return statuses();
    }

    private Entry load(String id, Path folder, long stamp, boolean isBundled) {
        ModelManifest manifest = null;
        try {
            manifest = ModelManifest.read(folder);
            TextEncoder encoder = TextEncoder.open(folder, options);
            logger.info("dense-retrieval: loaded model [{}] from [{}] ({}, {} dims)", id, folder, encoder.engineDescription(), encoder.dimensions());
            return new Entry(new ModelStatus(id, folder, manifest, encoder.engineDescription(), null, isBundled), encoder, stamp);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            // LinkageError: natives that cannot load (or a library's static initialiser that fails)
            // must fail this model, not the node. AssertionError: DJL asserts on its native packaging.
            logger.error("dense-retrieval: cannot load model [{}] from [{}]: {}", id, folder, e.getMessage());
            return new Entry(new ModelStatus(id, folder, manifest, null, e.getMessage(), isBundled), null, stamp);
        }
    }

    private static void scan(Path dir, Map<String, Path> folders, Map<String, Boolean> bundled, boolean isBundled) {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> children = Files.list(dir)) {
            children.filter(Files::isDirectory).sorted().forEach(child -> {
                String id = child.getFileName().toString();
                folders.put(id, child);
                bundled.put(id, isBundled);
            });
        } catch (IOException e) {
            logger.error("dense-retrieval: cannot list model folders in [{}]: {}", dir, e.getMessage());
        }
    }

    /** Changes when any file of the folder changes (modification time and size), so reload notices. */
    private static long stamp(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p) + p.toString().hashCode();
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * The encoder of {@code modelId} ({@link #DEFAULT_MODEL_ID} when null).
     *
     * @throws ResourceNotFoundException (404) for an unknown model
     * @throws ElasticsearchStatusException (409) for a model whose folder failed to load, with the reason
     */
    public TextEncoder encoder(String modelId) {
        Entry e = entry(modelId);
        if (e.encoder == null) {
            throw new ElasticsearchStatusException("dense-retrieval model [{}] failed to load: {}", RestStatus.CONFLICT,
                e.status.modelId(), e.status.error());
        }
        return e.encoder;
    }

    /** The status of {@code modelId}; 404 if unknown. */
    public ModelStatus status(String modelId) {
        return entry(modelId).status;
    }

    private Entry entry(String modelId) {
        String id = modelId == null ? DEFAULT_MODEL_ID : modelId;
        Entry e = models.get(id);
        if (e == null) {
            throw new ResourceNotFoundException("dense-retrieval model [{}] not found; available models: {}", id,
                new TreeMap<>(models).keySet());
        }
        return e;
    }

    /** Every known model, loaded or failed, by id. */
    public List<ModelStatus> statuses() {
        List<ModelStatus> out = new ArrayList<>();
        models.values().forEach(e -> out.add(e.status));
        out.sort(Comparator.comparing(ModelStatus::modelId));
        return out;
    }

    @Override
    public synchronized void close() {
        Map<String, Entry> closing = models;
        models = Map.of();
        closing.values().forEach(e -> {
            if (e.encoder != null) {
                e.encoder.close();
            }
        });
    }
}
