package io.github.denseretrieval.plugin;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import org.elasticsearch.cluster.node.DiscoveryNode;
import org.elasticsearch.cluster.node.DiscoveryNodeRole;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Setting.Property;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.core.TimeValue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Node settings of the plugin ({@code elasticsearch.yml}), with their defaults. The two thread
 * pools are sized with Elasticsearch's own {@code thread_pool.<name>.size} and
 * {@code .queue_size} settings.
 */
public final class DenseRetrievalSettings {

    /** Thread pool that runs ingest batches. */
    public static final String INGEST_EXECUTOR = "dense_retrieval_ingest";
    /** Thread pool that encodes questions (the encode action). Separate, so a long bulk load does not delay searches. */
    public static final String SEARCH_EXECUTOR = "dense_retrieval_search";

    /**
     * Texts per forward pass. 8: on CPU, ./bench ingest measured batches of 8 faster than 16 or 32
     * (larger batches pad more, and ONNX Runtime gains nothing from them on few cores), and the
     * engine's memory arena keeps the peak of the largest pass, so 32 cost about 1.4 GiB more per
     * model (README, "Performance"). GPU nodes want larger batches.
     */
    public static final Setting<Integer> INGEST_BATCH_SIZE = Setting.intSetting("dense_retrieval.ingest.batch_size", 8, 1, 1024,
        Property.NodeScope);
    public static final Setting<TimeValue> INGEST_MAX_WAIT = Setting.timeSetting("dense_retrieval.ingest.max_wait",
        TimeValue.timeValueMillis(20), TimeValue.ZERO, Property.NodeScope);
    /** Per model: passages accepted by the ingest processor and not yet answered, before new ones get 429. */
    public static final Setting<Integer> INGEST_MAX_QUEUED = Setting.intSetting("dense_retrieval.ingest.max_queued", 1024, 1,
        Property.NodeScope);
    /** Texts one {@code _encode} request may hold. */
    public static final Setting<Integer> ENCODE_MAX_TEXTS = Setting.intSetting("dense_retrieval.encode.max_texts", 256, 1, 100_000,
        Property.NodeScope);
    /** Characters (all texts together) one {@code _encode} request, or one question, may hold. */
    public static final Setting<Integer> ENCODE_MAX_CHARS = Setting.intSetting("dense_retrieval.encode.max_chars", 1_000_000, 1,
        Property.NodeScope);
    /**
     * Whether this node loads models. Defaults to true except on dedicated master nodes (roles only
     * {@code master} / {@code voting_only}), which neither run pipelines nor coordinate searches in
     * a well-run cluster and should not spend memory on model natives.
     */
    public static final Setting<Boolean> MODELS_LOAD = Setting.boolSetting("dense_retrieval.models.load",
        settings -> String.valueOf(isDedicatedMaster(settings) == false), Property.NodeScope);
    /**
     * Tokens (rows x padded length) one forward pass may hold: ONNX Runtime's memory arena keeps the
     * peak of every pass, so this bounds a node's native memory per concurrent pass. A text longer
     * than the bound still runs, alone.
     */
    public static final Setting<Integer> MAX_BATCH_TOKENS = Setting.intSetting("dense_retrieval.engine.max_batch_tokens",
        EncoderOptions.DEFAULT_MAX_BATCH_TOKENS, 1, Property.NodeScope);
    /**
     * Whether ONNX Runtime keeps freed buffers and per-shape allocation plans for reuse. On, the
     * node keeps the peak memory of its largest forward passes; off, each pass allocates and frees
     * its own (see README, "Resident memory across reloads", for what each costs).
     */
    public static final Setting<Boolean> MEMORY_ARENA = Setting.boolSetting("dense_retrieval.engine.memory_arena", true,
        Property.NodeScope);
    /** Intra-op threads of one forward pass; 0 = one per allocated processor. */
    public static final Setting<Integer> ENGINE_THREADS = Setting.intSetting("dense_retrieval.engine_threads", 0, 0, Property.NodeScope);
    public static final Setting<String> DEVICE = Setting.simpleString("dense_retrieval.device", "auto", value -> DeviceChoice.fromName(value),
        Property.NodeScope);

    private DenseRetrievalSettings() {}

    public static List<Setting<?>> all() {
        return List.of(INGEST_BATCH_SIZE, INGEST_MAX_WAIT, INGEST_MAX_QUEUED, ENGINE_THREADS, DEVICE, ENCODE_MAX_TEXTS, ENCODE_MAX_CHARS,
            MODELS_LOAD, MAX_BATCH_TOKENS, MEMORY_ARENA);
    }

    static boolean isDedicatedMaster(org.elasticsearch.common.settings.Settings settings) {
        Set<String> roles = DiscoveryNode.getRolesFromSettings(settings).stream().map(DiscoveryNodeRole::roleName)
            .collect(Collectors.toSet());
        return roles.isEmpty() == false && roles.contains("master") && Set.of("master", "voting_only").containsAll(roles);
    }

    /** Default ingest pool size: one batch at a time per two processors, each using all of them via intra-op threads. */
    public static int defaultIngestThreads(org.elasticsearch.common.settings.Settings settings) {
        return Math.max(1, EsExecutors.allocatedProcessors(settings) / 2);
    }
}
