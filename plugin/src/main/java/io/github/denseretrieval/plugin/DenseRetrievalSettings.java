package io.github.denseretrieval.plugin;

import io.github.denseretrieval.encoder.DeviceChoice;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Setting.Property;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.core.TimeValue;

import java.util.List;

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

    public static final Setting<Integer> INGEST_BATCH_SIZE = Setting.intSetting("dense_retrieval.ingest.batch_size", 32, 1, 1024,
        Property.NodeScope);
    public static final Setting<TimeValue> INGEST_MAX_WAIT = Setting.timeSetting("dense_retrieval.ingest.max_wait",
        TimeValue.timeValueMillis(20), TimeValue.ZERO, Property.NodeScope);
    public static final Setting<Integer> INGEST_MAX_QUEUED = Setting.intSetting("dense_retrieval.ingest.max_queued", 4096, 1,
        Property.NodeScope);
    /** Intra-op threads of one forward pass; 0 = one per allocated processor. */
    public static final Setting<Integer> ENGINE_THREADS = Setting.intSetting("dense_retrieval.engine_threads", 0, 0, Property.NodeScope);
    public static final Setting<String> DEVICE = Setting.simpleString("dense_retrieval.device", "auto", value -> DeviceChoice.fromName(value),
        Property.NodeScope);

    private DenseRetrievalSettings() {}

    public static List<Setting<?>> all() {
        return List.of(INGEST_BATCH_SIZE, INGEST_MAX_WAIT, INGEST_MAX_QUEUED, ENGINE_THREADS, DEVICE);
    }

    /** Default ingest pool size: one batch at a time per two processors, each using all of them via intra-op threads. */
    public static int defaultIngestThreads(org.elasticsearch.common.settings.Settings settings) {
        return Math.max(1, EsExecutors.allocatedProcessors(settings) / 2);
    }
}
