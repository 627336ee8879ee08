package io.github.denseretrieval.plugin.stats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.ToIntFunction;

/**
 * This node's {@link ModelStats}, one per model id, kept across reloads (an operator watches the
 * id, not the folder's current weights). Thread-safe.
 */
public final class NodeEncodeStats {

    private final ConcurrentMap<String, ModelStats> byModel = new ConcurrentHashMap<>();

    public ModelStats forModel(String modelId) {
        return byModel.computeIfAbsent(modelId, id -> new ModelStats());
    }

    /** Every model's counters, by id, with the passages each has queued now. */
    public Map<String, ModelStatsSnapshot> snapshot(ToIntFunction<String> queued) {
        Map<String, ModelStatsSnapshot> out = new TreeMap<>();
        byModel.forEach((id, stats) -> out.put(id, stats.snapshot(queued.applyAsInt(id))));
        return out;
    }
}
