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
            settings.add("bulk " + row.path("bulk_size").asInt() + ", " + row.path("clients").asInt() + " client(s)");
            plugin.add(row.path("plugin_docs_per_s").asDouble());
            local.add(row.path("in_process_docs_per_s").asDouble());
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title("Ingest through dense_encode")
            .xAxisTitle("setting").yAxisTitle("passages / s").build();
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
}
