package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.evaluation.beir.Passage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the plugin and each model cost a node in memory, read against the same node without the
 * plugin: heap after a full collection, resident and anonymous memory, at each step of
 * no plugin, plugin with no model, one model, three models, and after reloads of all three.
 * Every model encodes the same passages before each reading, so its inference buffers count.
 * Then one model again on a node with ONNX Runtime's memory arena off, and on one with a smaller
 * token budget per forward pass: the two settings that bound what a model's inference keeps.
 */
final class MemorySuite {

    static final String GOAL = "anonymous memory after the reloads within 10 % of before them";
    static final List<String> EXTRA_MODELS = List.of("bge-small-en-v1.5-q", "all-minilm-l6-v2");

    private MemorySuite() {}

    static ObjectNode run(BenchNodes nodes, String model, List<Passage> passages, boolean quick) throws IOException, InterruptedException {
        List<String> texts = passages.stream().limit(64).map(Passage::titleAndText).toList();
        int reloads = quick ? 2 : 10;
        ObjectNode out = ClusterClient.json().createObjectNode();
        ArrayNode rows = out.putArray("rows");
        BenchNodes.MemorySample bare;
        try (BenchNodes.Session s = nodes.startBare()) {
            bare = s.memory();
        }
        add(rows, "no plugin (yardstick)", 0, bare, bare);
        try (BenchNodes.Session s = nodes.start(model, List.of("dense_retrieval.models.load: false"))) {
            add(rows, "plugin, models.load false", 0, s.memory(), bare);
        }
        BenchNodes.MemorySample beforeReloads;
        BenchNodes.MemorySample afterReloads;
        try (BenchNodes.Session s = nodes.start(model, List.of())) {
            encode(s.client(), model, texts);
            add(rows, "plugin, 1 model (" + model + ")", 1, s.memory(), bare);
            List<String> served = new ArrayList<>(List.of(model));
            for (String extra : EXTRA_MODELS) {
                s.node().installModel(extra, nodes.root().resolve("analysis-encoder/target/models").resolve(extra));
                s.client().sendOk("POST", "/_dense/models/_reload", null);
                served.add(extra);
                encode(s.client(), extra, texts);
                add(rows, "plugin, " + served.size() + " models (+ " + extra + ")", served.size(), s.memory(), bare);
            }
            beforeReloads = s.memory();
            long loadsBefore = s.node().logLinesContaining("dense-retrieval: loaded model [");
            for (int r = 1; r <= reloads; r++) {
                // A new modification time makes the registry see a changed folder and open new sessions.
                for (String extra : EXTRA_MODELS) {
                    Files.setLastModifiedTime(s.node().modelFolder(extra).resolve("model.json"), FileTime.fromMillis(System.currentTimeMillis()));
                }
                s.client().sendOk("POST", "/_dense/models/_reload", null);
                for (String m : served) {
                    encode(s.client(), m, texts);
                }
            }
            afterReloads = s.memory();
            long loads = s.node().logLinesContaining("dense-retrieval: loaded model [") - loadsBefore;
            if (loads != (long) reloads * EXTRA_MODELS.size()) {
                throw new IOException("expected " + reloads * EXTRA_MODELS.size() + " model loads in the node's log across the reloads, found "
                    + loads + ": the reloads did not swap the models, so the figure would not measure reloads");
            }
            add(rows, "plugin, 3 models, after " + reloads + " reloads of 2", served.size(), afterReloads, bare);
            out.set("models", nativeMemoryByModel(s.client()));
        }
        // The two settings that bound a model's inference memory, each on its own node with one model.
        for (String setting : List.of("dense_retrieval.engine.memory_arena: false", "dense_retrieval.engine.max_batch_tokens: 4096")) {
            try (BenchNodes.Session s = nodes.start(model, List.of(setting))) {
                encode(s.client(), model, texts);
                add(rows, "plugin, 1 model, " + setting.replace("dense_retrieval.engine.", ""), 1, s.memory(), bare);
            }
        }
        double growth = (afterReloads.anonBytes() - beforeReloads.anonBytes()) / (double) beforeReloads.anonBytes();
        out.put("reloads", reloads);
        out.put("anon_growth_across_reloads", growth);
        out.put("goal", GOAL);
        out.put("goal_met", growth <= 0.10);
        System.out.printf(Locale.ROOT, "memory: anonymous memory across %d reloads %+.1f %%%n", reloads, 100 * growth);
        return out;
    }

    /** The passages through {@code POST _dense/models/{model}/_encode} in requests of 32, as ingest would batch them. */
    private static void encode(ClusterClient client, String model, List<String> texts) throws IOException {
        for (int from = 0; from < texts.size(); from += 32) {
            ObjectNode body = ClusterClient.json().createObjectNode();
            ArrayNode array = body.putArray("texts");
            texts.subList(from, Math.min(texts.size(), from + 32)).forEach(array::add);
            client.sendOk("POST", "/_dense/models/" + model + "/_encode", body.toString());
        }
    }

    /** Each served model's {@code native_memory_in_bytes} as {@code GET _dense/models} reports it, in MiB. */
    private static ObjectNode nativeMemoryByModel(ClusterClient client) throws IOException {
        ObjectNode out = ClusterClient.json().createObjectNode();
        for (JsonNode node : client.sendOk("GET", "/_dense/models", null).path("nodes")) {
            for (JsonNode m : node.path("models")) {
                out.put(m.path("model_id").asText(), BenchNodes.MemorySample.mib(m.path("native_memory_in_bytes").asLong()));
            }
        }
        return out;
    }

    private static void add(ArrayNode rows, String state, int models, BenchNodes.MemorySample m, BenchNodes.MemorySample bare) {
        ObjectNode row = rows.addObject();
        row.put("state", state);
        row.put("models", models);
        row.put("heap_used_mib", BenchNodes.MemorySample.mib(m.heapUsedBytes()));
        row.put("rss_mib", BenchNodes.MemorySample.mib(m.rssBytes()));
        row.put("anon_mib", BenchNodes.MemorySample.mib(m.anonBytes()));
        row.put("anon_over_no_plugin_mib", BenchNodes.MemorySample.mib(m.anonBytes() - bare.anonBytes()));
        row.put("threads", m.threads());
        System.out.printf(Locale.ROOT, "memory: %-45s heap %6.0f MiB, RSS %6.0f MiB, anonymous %6.0f MiB (%+.0f over no plugin), %d threads%n",
            state, row.get("heap_used_mib").asDouble(), row.get("rss_mib").asDouble(), row.get("anon_mib").asDouble(),
            row.get("anon_over_no_plugin_mib").asDouble(), m.threads());
    }
}
