package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.ModelFolderDigest;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.ProcessMemory;
import io.github.denseretrieval.encoder.TextEncoder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.ResourceNotFoundException;
import org.elasticsearch.rest.RestStatus;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * The models a node serves: the default model bundled in the plugin plus every model folder
 * under {@code config/dense-retrieval/models/<model_id>/}. Each is loaded once and shared by the
 * ingest processor, question encoding and the encode API.
 *
 * <p>Encoders are used through {@link #acquire leases}: a reload or {@link #close()} only drops the
 * registry's own reference, and a model's natives are freed when its last lease is released. A
 * folder that fails to load is recorded with its error (shown by {@code GET _dense/models} and
 * logged); when it is a changed folder of a model already served, the previous weights stay in
 * service and the failure is reported as the model's {@code reload_error}. {@link #reload()}
 * re-reads the folders: unchanged models keep their encoder (changes are detected by modification
 * time and size; the served weights are identified by a content digest).
 *
 * <p>Thread-safe: the map of models is replaced atomically, so readers never see a partial reload;
 * reloads are serialised.
 */
public final class ModelRegistry implements Closeable {

    /** The model used when a request names none. */
    public static final String DEFAULT_MODEL_ID = "bge-small-en-v1.5";

    /** How long {@link #close()} waits for forward passes still running before it returns. */
    static final long CLOSE_WAIT_MILLIS = 10_000;

    private static final Logger logger = LogManager.getLogger(ModelRegistry.class);

    /** One model folder as served: its status, and its encoder when it loaded. */
    private record Entry(ModelStatus status, LoadedModel model, long stamp) {}

    private final Path bundledDir;
    private final Path configModelsDir;
    private final String nodeName;
    private final boolean enabled;
    private final BiFunction<Path, EncoderOptions, TextEncoder> opener;
    private final EncoderOptions options;
    private volatile Map<String, Entry> models = Map.of();
    private volatile boolean closed;

    /**
     * @param bundledDir      the plugin's own {@code models/} folder (the default model)
     * @param configModelsDir {@code config/dense-retrieval/models}; may not exist
     * @param nodeName        named in errors, so an operator knows which node lacks a model
     * @param enabled         false on nodes that serve no models ({@code dense_retrieval.models.load})
     */
    public ModelRegistry(Path bundledDir, Path configModelsDir, EncoderOptions options, String nodeName, boolean enabled) {
        this(bundledDir, configModelsDir, options, nodeName, enabled, TextEncoder::open);
    }

    ModelRegistry(Path bundledDir, Path configModelsDir, EncoderOptions options, String nodeName, boolean enabled,
                  BiFunction<Path, EncoderOptions, TextEncoder> opener) {
        this.bundledDir = bundledDir;
        this.configModelsDir = configModelsDir;
        this.options = options;
        this.nodeName = nodeName;
        this.enabled = enabled;
        this.opener = opener;
    }

    /** Loads (or re-loads) every model folder; returns the statuses after the reload. */
    public synchronized List<ModelStatus> reload() {
        if (closed) {
            throw shuttingDown();
        }
        if (enabled == false) {
            return List.of();
        }
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
            if (old != null && old.stamp == stamp && old.status.folder().equals(folder) && old.model != null) {
                next.put(id, old.status.reloadError() == null ? old : new Entry(old.status.withReloadError(null), old.model, old.stamp));
                continue;
            }
            Entry loaded = load(id, folder, stamp, bundled.get(id));
            if (loaded.model == null && old != null && old.model != null) {
                // A bad copy must not take a working model out of service: keep the old weights, and
                // keep their stamp so that the next reload tries the folder again.
                logger.warn("dense-retrieval: model [{}] keeps serving its previous weights; the changed folder failed: {}", id,
                    loaded.status.error());
                next.put(id, new Entry(old.status.withReloadError(loaded.status.error()), old.model, old.stamp));
            } else {
                next.put(id, loaded);
            }
        }
        models = Map.copyOf(next);
        Set<LoadedModel> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        next.values().forEach(e -> kept.add(e.model));
        for (Entry old : previous.values()) {
            if (old.model != null && kept.contains(old.model) == false) {
                // The registry's own reference; forward passes still holding leases keep the natives alive.
                old.model.decRef();
            }
        }
        return statuses();
    }

    private Entry load(String id, Path folder, long stamp, boolean isBundled) {
        ModelManifest manifest = null;
        try {
            manifest = ModelManifest.read(folder);
            String digest = ModelFolderDigest.sha256(folder);
            long before = ProcessMemory.residentBytes();
            TextEncoder encoder = opener.apply(folder, options);
            long after = ProcessMemory.residentBytes();
            long nativeBytes = before < 0 || after < 0 ? -1 : Math.max(0, after - before);
            logger.info("dense-retrieval: loaded model [{}] from [{}] ({}, {} dims, sha256 {}, resident memory +{} MiB)", id, folder,
                encoder.engineDescription(), encoder.dimensions(), digest, nativeBytes < 0 ? "?" : nativeBytes >> 20);
            return new Entry(new ModelStatus(id, folder, manifest, encoder.engineDescription(), null, isBundled, digest, nativeBytes, null),
                new LoadedModel(encoder), stamp);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            // LinkageError: natives that cannot load (or a library's static initialiser that fails)
            // must fail this model, not the node. AssertionError: DJL asserts on its native packaging.
            logger.error("dense-retrieval: cannot load model [{}] from [{}]: {}", id, folder, e.getMessage());
            return new Entry(new ModelStatus(id, folder, manifest, null, String.valueOf(e.getMessage()), isBundled, null, -1, null),
                null, stamp);
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
     * A lease on the encoder of {@code modelId} ({@link #DEFAULT_MODEL_ID} when null); close it when
     * the encode call returns.
     *
     * @throws ResourceNotFoundException (404) for a model this node does not serve, naming the node
     * @throws ElasticsearchStatusException 409 for a model whose folder failed to load, with the reason;
     *                                      503 (retryable) while the node shuts down
     */
    public EncoderLease acquire(String modelId) {
        // A reload may close the model between reading the map and taking the lease; the map then
        // already holds its successor, so a second read succeeds.
        for (int attempt = 0; attempt < 3; attempt++) {
            EncoderLease lease = servable(modelId).model.tryLease();
            if (lease != null) {
                return lease;
            }
        }
        throw new ElasticsearchStatusException("dense-retrieval model [{}] is being reloaded on node [{}]; retry",
            RestStatus.SERVICE_UNAVAILABLE, modelId == null ? DEFAULT_MODEL_ID : modelId, nodeName);
    }

    /**
     * Checks that {@code modelId} can be served now, without taking a lease: a document for a model
     * this node lacks fails at once instead of after waiting for a batch.
     *
     * @throws ResourceNotFoundException (404) or ElasticsearchStatusException (409, 503) as {@link #acquire}
     */
    public void ensureServable(String modelId) {
        servable(modelId);
    }

    private Entry servable(String modelId) {
        if (closed) {
            throw shuttingDown();
        }
        Entry e = entry(modelId);
        if (e.model == null) {
            throw new ElasticsearchStatusException("dense-retrieval model [{}] failed to load on node [{}]: {}", RestStatus.CONFLICT,
                e.status.modelId(), nodeName, e.status.error());
        }
        return e;
    }

    private ElasticsearchStatusException shuttingDown() {
        return new ElasticsearchStatusException("dense-retrieval on node [{}] is shutting down; retry on another node",
            RestStatus.SERVICE_UNAVAILABLE, nodeName);
    }

    /** The status of {@code modelId}; 404 if unknown. */
    public ModelStatus status(String modelId) {
        return entry(modelId).status;
    }

    private Entry entry(String modelId) {
        String id = modelId == null ? DEFAULT_MODEL_ID : modelId;
        if (enabled == false) {
            throw new ResourceNotFoundException("node [{}] serves no dense-retrieval models ([dense_retrieval.models.load] is false); "
                + "send ingest and searches that encode text to nodes that load models", nodeName);
        }
        Entry e = models.get(id);
        if (e == null) {
            throw new ResourceNotFoundException("dense-retrieval model [{}] not found on node [{}]; available models: {}. Copy its "
                + "folder to config/dense-retrieval/models/{} on every node and POST _dense/models/_reload", id, nodeName,
                new TreeMap<>(models).keySet(), id);
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

    /**
     * Stops serving: new leases fail with 503, and every model's natives are freed once the forward
     * passes still running release their leases. Waits up to {@value #CLOSE_WAIT_MILLIS} ms for
     * them, so that a normal shutdown frees everything before the node exits.
     */
    @Override
    public void close() {
        List<LoadedModel> closing = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            models.values().forEach(e -> {
                if (e.model != null) {
                    closing.add(e.model);
                }
            });
            models = Map.of();
        }
        closing.forEach(LoadedModel::decRef);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        while (closing.stream().anyMatch(LoadedModel::hasReferences) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (closing.stream().anyMatch(LoadedModel::hasReferences)) {
            logger.warn("dense-retrieval: forward passes still running after {} ms at shutdown; their models close when they finish",
                CLOSE_WAIT_MILLIS);
        }
    }
}
