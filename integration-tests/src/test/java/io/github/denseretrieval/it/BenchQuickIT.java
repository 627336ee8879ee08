package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.it.bench.Bench;
import io.github.denseretrieval.trainer.export.ModelFolderExport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./bench all --quick} on a real node: every suite runs and writes its figures beside their
 * yardsticks, and its plot. It asserts that the figures exist and are sane, not that they are fast.
 */
class BenchQuickIT {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void everySuiteWritesItsFiguresYardsticksAndPlot(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(RealNode.SCIFACT), "SciFact not present at " + RealNode.SCIFACT);
        // The engines suite's TensorFlow twin, exported as ./bench does with bin/trainer export.
        Path savedModel = out.resolve("bge-small-en-v1.5-tf");
        ModelFolderExport.toTensorFlow(RealNode.MODELS.resolve("bge-small-en-v1.5"), savedModel);
        StringWriter err = new StringWriter();
        int code = Bench.run(new PrintWriter(err, true), "all", "--quick", "--out", out.toString(), "--root",
            QuickstartErrorsIT.ROOT.toString(), "--data", RealNode.SCIFACT.toString(), "--heap", "1g", "--savedmodel", savedModel.toString());
        assertEquals(0, code, "exit code; stderr: " + err);
        for (String suite : new String[] {"ingest", "query", "recall", "scale", "scale-memory", "memory", "engines"}) {
            byte[] png = Files.readAllBytes(out.resolve(suite + ".png"));
            assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(png, 8), suite + ".png is a PNG");
            assertTrue(png.length > 5_000, suite + ".png has a chart in it: " + png.length + " bytes");
        }
        JsonNode ingest = ClusterClient.json().readTree(out.resolve("ingest.json").toFile());
        assertTrue(ingest.path("in_process_docs_per_s").asDouble() > 0, ingest.toString());
        // bulk 50 x {1, 4} clients at the default batch_size (8), batch_size 32 at the better of them, two passes at once
        // (one intra-op thread each) there, the int8 model at it too.
        assertEquals(5, ingest.path("rows").size(), ingest.toString());
        assertEquals(1, StreamSupport.stream(ingest.path("rows").spliterator(), false).filter(r -> r.has("node_settings")).count(),
            ingest.toString());
        for (JsonNode row : ingest.path("rows")) {
            double ratio = row.path("plugin_docs_per_s").asDouble() / row.path("in_process_docs_per_s").asDouble();
            assertTrue(ratio > 0 && ratio < 5, row.toString());
            assertEquals(ratio, row.path("ratio").asDouble(), 1e-9, row.toString());
        }
        assertTrue(ingest.path("goal_met").isBoolean(), ingest.toString());
        JsonNode int8 = ingest.path("int8_model");
        assertEquals("bge-small-en-v1.5-q", int8.path("model").asText(), ingest.toString());
        assertTrue(int8.path("speedup_over_fp32").asDouble() > 0, int8.toString());
        // The quantised model must still rank: far above chance on the judged passages, and near fp32.
        assertTrue(int8.path("ndcg@10").asDouble() > 0.3 && int8.path("fp32_ndcg@10").asDouble() > 0.3, int8.toString());

        JsonNode query = ClusterClient.json().readTree(out.resolve("query.json").toFile());
        // 4 modes x {1, 4} clients, and dense during ingest.
        assertEquals(9, query.path("rows").size(), query.toString());
        for (JsonNode row : query.path("rows")) {
            assertEquals(30, row.path("requests").asInt(), row.toString());
            assertTrue(row.path("p50_ms").asDouble() > 0 && row.path("p50_ms").asDouble() <= row.path("p95_ms").asDouble()
                && row.path("p95_ms").asDouble() <= row.path("p99_ms").asDouble(), row.toString());
        }
        assertTrue(query.path("goals").path("dense").path("met").isBoolean(), query.toString());
        assertTrue(query.path("goals").path("hybrid").path("met").isBoolean(), query.toString());

        JsonNode recall = ClusterClient.json().readTree(out.resolve("recall.json").toFile());
        // 5 variants x 5 num_candidates.
        assertEquals(25, recall.path("rows").size(), recall.toString());
        for (JsonNode row : recall.path("rows")) {
            double r = row.path("recall@10").asDouble();
            assertTrue(r > 0.5 && r <= 1.0, row.toString());
            assertTrue(row.path("bytes_per_vector").asDouble() > 0, row.toString());
        }
        // Exact search is the yardstick of recall, so it must find its own top 10 at a generous num_candidates.
        assertTrue(recall.path("default_recall@10").asDouble() > 0.9, recall.toString());
        assertTrue(recall.path("exact_ndcg@10").asDouble() > 0.3, recall.toString());

        JsonNode scale = ClusterClient.json().readTree(out.resolve("scale.json").toFile());
        assertEquals(2, scale.path("rows").size(), scale.toString());
        for (JsonNode row : scale.path("rows")) {
            assertTrue(row.path("knn_p50_ms").asDouble() > 0 && row.path("hybrid_p50_ms").asDouble() > 0, row.toString());
            assertTrue(row.path("store_mib").asDouble() > 0 && row.path("rss_mib").asDouble() > 0, row.toString());
        }
        assertTrue(scale.path("rows").get(1).path("store_mib").asDouble() > scale.path("rows").get(0).path("store_mib").asDouble(),
            "a bigger index takes more disk: " + scale);

        JsonNode memory = ClusterClient.json().readTree(out.resolve("memory.json").toFile());
        // no plugin, plugin without models, 1, 2, 3 models, after reloads, 1 model with the arena off, with a smaller token budget.
        assertEquals(8, memory.path("rows").size(), memory.toString());
        JsonNode rows = memory.path("rows");
        assertTrue(rows.get(4).path("anon_mib").asDouble() > rows.get(2).path("anon_mib").asDouble(),
            "three models take more memory than one: " + memory);
        assertEquals(3, memory.path("models").size(), memory.toString());
        memory.path("models").forEach(m -> assertTrue(m.isNumber(), "native memory of each model: " + memory));
        assertTrue(memory.path("goal_met").isBoolean(), memory.toString());

        JsonNode engines = ClusterClient.json().readTree(out.resolve("engines.json").toFile());
        assertEquals(2, engines.path("rows").size(), engines.toString());
        for (JsonNode row : engines.path("rows")) {
            assertTrue(row.path("ingest_ratio").asDouble() > 0 && row.path("dense_p50_ms").asDouble() > 0, row.toString());
            assertTrue(row.path("ndcg@10").asDouble() > 0.3, row.toString());
        }
        // The SavedModel is the ONNX model's twin: the node must rank every question the same way with either engine.
        assertEquals(30, engines.path("same_top10_questions").asInt(), engines.toString());
        assertEquals(engines.path("rows").get(0).path("ndcg@10").asDouble(), engines.path("rows").get(1).path("ndcg@10").asDouble(), 1e-4,
            engines.toString());
    }

    @Test
    void anUnknownSuiteIsNamedWithTheValidOnes() {
        StringWriter err = new StringWriter();
        int code = Bench.run(new PrintWriter(err, true), "speed", "--root", QuickstartErrorsIT.ROOT.toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("unknown suite [speed]") && err.toString().contains("ingest"), err.toString());
    }
}
