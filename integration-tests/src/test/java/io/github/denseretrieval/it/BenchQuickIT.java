package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.it.bench.Bench;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
        StringWriter err = new StringWriter();
        int code = Bench.run(new PrintWriter(err, true), "all", "--quick", "--out", out.toString(), "--root",
            QuickstartErrorsIT.ROOT.toString(), "--data", RealNode.SCIFACT.toString(), "--heap", "1g");
        assertEquals(0, code, "exit code; stderr: " + err);
        for (String suite : new String[] {"ingest", "query", "recall"}) {
            byte[] png = Files.readAllBytes(out.resolve(suite + ".png"));
            assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(png, 8), suite + ".png is a PNG");
            assertTrue(png.length > 5_000, suite + ".png has a chart in it: " + png.length + " bytes");
        }
        JsonNode ingest = ClusterClient.json().readTree(out.resolve("ingest.json").toFile());
        assertTrue(ingest.path("in_process_docs_per_s").asDouble() > 0, ingest.toString());
        assertEquals(2, ingest.path("rows").size(), ingest.toString());
        for (JsonNode row : ingest.path("rows")) {
            double ratio = row.path("plugin_docs_per_s").asDouble() / row.path("in_process_docs_per_s").asDouble();
            assertTrue(ratio > 0 && ratio < 5, row.toString());
            assertEquals(ratio, row.path("ratio").asDouble(), 1e-9, row.toString());
        }
        assertTrue(ingest.path("goal_met").isBoolean(), ingest.toString());

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
    }

    @Test
    void anUnknownSuiteIsNamedWithTheValidOnes() {
        StringWriter err = new StringWriter();
        int code = Bench.run(new PrintWriter(err, true), "speed", "--root", QuickstartErrorsIT.ROOT.toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("unknown suite [speed]") && err.toString().contains("ingest"), err.toString());
    }
}
