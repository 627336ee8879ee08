package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PNG plot of each suite's JSON, drawn with XChart. */
final class Plots {

    private Plots() {}

    /** Passages per second of each ingest setting, beside the in-process encoder's. */
    static void ingest(JsonNode result, Path png) throws IOException {
        List<String> settings = new ArrayList<>();
        List<Double> plugin = new ArrayList<>();
        List<Double> local = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            settings.add((row.path("model").asText().endsWith("-q") ? "int8, " : "") + "bulk " + row.path("bulk_size").asInt() + ", "
                + row.path("clients").asInt() + "c, batch " + row.path("batch_size").asInt() + (row.has("node_settings") ? ", 2 passes x 1 thread" : ""));
            plugin.add(row.path("plugin_docs_per_s").asDouble());
            local.add(row.path("in_process_docs_per_s").asDouble());
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(550).title("Ingest through dense_encode")
            .xAxisTitle("setting (c = concurrent clients)").yAxisTitle("passages / s").build();
        chart.getStyler().setXAxisLabelRotation(30);
        chart.addSeries("node: _bulk + dense_encode", settings, plugin);
        chart.addSeries("in-process encoder (yardstick)", settings, local);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** p50 and p95 latency of every mode and client count. */
    static void query(JsonNode result, Path png) throws IOException {
        List<String> cases = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p95 = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            cases.add(row.path("mode").asText() + " x" + row.path("clients").asInt() + (row.path("during_ingest").asBoolean() ? " +ingest" : ""));
            p50.add(row.path("p50_ms").asDouble());
            p95.add(row.path("p95_ms").asDouble());
        }
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(500).title("Search latency (client side)")
            .xAxisTitle("mode x clients").yAxisTitle("ms").build();
        chart.getStyler().setXAxisLabelRotation(30);
        chart.addSeries("p50", cases, p50);
        chart.addSeries("p95", cases, p95);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Recall@10 against num_candidates, one line per index option. */
    static void recall(JsonNode result, Path png) throws IOException {
        Map<String, List<double[]>> byOption = new LinkedHashMap<>();
        for (JsonNode row : result.path("rows")) {
            byOption.computeIfAbsent(row.path("option").asText(), k -> new ArrayList<>())
                .add(new double[] {row.path("num_candidates").asDouble(), row.path("recall@10").asDouble()});
        }
        XYChart chart = new XYChartBuilder().width(900).height(500).title("HNSW recall@10 vs exact search")
            .xAxisTitle("num_candidates").yAxisTitle("recall@10").build();
        for (Map.Entry<String, List<double[]>> e : byOption.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(e.getKey(), x, y);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** knn and hybrid latency against the number of vectors (log axis), and the node's memory beside it in {@code <name>-memory.png}. */
    static void scale(JsonNode result, Path png) throws IOException {
        List<Double> n = new ArrayList<>();
        Map<String, List<Double>> latency = new LinkedHashMap<>();
        Map<String, List<Double>> memory = new LinkedHashMap<>();
        for (JsonNode row : result.path("rows")) {
            n.add(row.path("vectors").asDouble());
            for (String key : List.of("knn_p50_ms", "knn_p95_ms", "hybrid_p50_ms", "hybrid_p95_ms")) {
                latency.computeIfAbsent(key, k -> new ArrayList<>()).add(row.path(key).asDouble());
            }
            for (String key : List.of("store_mib", "rss_mib", "anon_mib", "heap_used_mib")) {
                memory.computeIfAbsent(key, k -> new ArrayList<>()).add(row.path(key).asDouble());
            }
        }
        BitmapEncoder.saveBitmap(lines("Search latency vs index size (1 client)", "ms", n, latency), png.toString(),
            BitmapEncoder.BitmapFormat.PNG);
        String name = png.getFileName().toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(lines("Index size and node memory vs index size", "MiB", n, memory),
            png.resolveSibling(name + "-memory.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart lines(String title, String yTitle, List<Double> x, Map<String, List<Double>> series) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("vectors in the index").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        for (Map.Entry<String, List<Double>> e : series.entrySet()) {
            chart.addSeries(e.getKey(), x, e.getValue());
        }
        return chart;
    }

    /** Each engine's ingest rate beside its in-process encoder's, and its dense p50 beside its in-process question encoding. */
    static void engines(JsonNode result, Path png) throws IOException {
        List<String> engines = new ArrayList<>();
        List<Double> ingestRate = new ArrayList<>();
        List<Double> localRate = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> encodeP50 = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            engines.add(row.path("engine").asText());
            ingestRate.add(row.path("plugin_docs_per_s").asDouble());
            localRate.add(row.path("in_process_docs_per_s").asDouble());
            p50.add(row.path("dense_p50_ms").asDouble());
            encodeP50.add(row.path("in_process_question_p50_ms").asDouble());
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title("ONNX Runtime and TensorFlow in one node")
            .xAxisTitle("engine").yAxisTitle("passages / s and ms").build();
        chart.addSeries("node ingest: passages / s", engines, ingestRate);
        chart.addSeries("in-process encoder: passages / s", engines, localRate);
        chart.addSeries("dense p50 ms", engines, p50);
        chart.addSeries("in-process question encode p50 ms", engines, encodeP50);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Anonymous memory over the node without the plugin, and the live heap, at each step of the memory suite. */
    static void memory(JsonNode result, Path png) throws IOException {
        List<String> states = new ArrayList<>();
        List<Double> anon = new ArrayList<>();
        List<Double> heap = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            states.add(row.path("state").asText());
            anon.add(row.path("anon_over_no_plugin_mib").asDouble());
            heap.add(row.path("heap_used_mib").asDouble());
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(550).title("Node memory: plugin and models")
            .xAxisTitle("state").yAxisTitle("MiB").build();
        chart.getStyler().setXAxisLabelRotation(20);
        chart.addSeries("anonymous memory over the node without the plugin", states, anon);
        chart.addSeries("heap after full GC", states, heap);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
