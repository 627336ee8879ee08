package io.github.denseretrieval.trainer.train;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a training run leaves behind for people to look at: {@code steps.csv} (per update: stage,
 * epoch, step, loss, learning rate, throughput, the global gradient norm before clipping and the
 * stage's count of updates skipped for a non-finite gradient so far), {@code dev.csv} (per evaluation: dev nDCG@10 and
 * Recall@100) and two PNG plots drawn with XChart, {@code loss.png} and {@code dev-ndcg.png},
 * redrawn whenever a value is added. Appends, and reads back what is there, so a resumed run (or
 * another recipe in the same folder) continues the same files and curves.
 */
public final class TrainingLog {

    private final Path dir;
    private final Map<String, List<double[]>> losses = new LinkedHashMap<>();
    private final Map<String, List<double[]>> dev = new LinkedHashMap<>();
    private int globalStep;

    public TrainingLog(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        header("steps.csv", "stage,epoch,step,global_step,loss,learning_rate,questions_per_s,elapsed_s,grad_norm,skipped_updates");
        header("dev.csv", "stage,epoch,global_step,dev_ndcg@10,dev_recall@100");
        // A resumed run, or a second recipe in the same folder, continues the curves of the earlier ones.
        for (String[] row : rows("steps.csv")) {
            globalStep = Math.max(globalStep, Integer.parseInt(row[3]));
            point(losses, row[0], Integer.parseInt(row[3]), Double.parseDouble(row[4]));
        }
        for (String[] row : rows("dev.csv")) {
            point(dev, row[0], Integer.parseInt(row[2]), Double.parseDouble(row[3]));
        }
    }

    private static void point(Map<String, List<double[]>> series, String stage, int update, double value) {
        series.computeIfAbsent(stage, k -> new ArrayList<>()).add(new double[] {update, value});
    }

    private List<String[]> rows(String file) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(file), StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).map(l -> l.split(",")).toList();
    }

    private void header(String file, String columns) throws IOException {
        Path p = dir.resolve(file);
        if (!Files.exists(p)) {
            Files.writeString(p, columns + "\n", StandardCharsets.UTF_8);
        }
    }

    void step(String stage, int epoch, int step, float loss, float learningRate, double gradientNorm, int skippedUpdates,
              double questionsPerSecond, double elapsedSeconds) {
        globalStep++;
        append("steps.csv", String.format(Locale.ROOT, "%s,%d,%d,%d,%.6f,%.3e,%.3f,%.1f,%.4e,%d", stage, epoch, step, globalStep, loss, learningRate,
            questionsPerSecond, elapsedSeconds, gradientNorm, skippedUpdates));
        point(losses, stage, globalStep, loss);
        plot("loss.png", "Training loss", "loss", losses);
    }

    /** The latest dev nDCG@10 recorded for {@code stage}, in this run or an earlier one in the same folder (empty if none). */
    public java.util.OptionalDouble lastDevNdcg(String stage) {
        List<double[]> points = dev.get(stage);
        return points == null || points.isEmpty() ? java.util.OptionalDouble.empty()
            : java.util.OptionalDouble.of(points.get(points.size() - 1)[1]);
    }

    /** Records a dev evaluation; {@code epoch} 0 is the model before training. */
    public void dev(String stage, int epoch, double ndcg, double recall) {
        append("dev.csv", String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f", stage, epoch, globalStep, ndcg, recall));
        point(dev, stage, globalStep, ndcg);
        plot("dev-ndcg.png", "Dev nDCG@10", "nDCG@10", dev);
    }

    public Path dir() {
        return dir;
    }

    private void append(String file, String line) {
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(file), StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            w.write(line);
            w.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void plot(String file, String title, String yTitle, Map<String, List<double[]>> series) {
        XYChart chart = new XYChartBuilder().width(800).height(480).title(title).xAxisTitle("update").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(series.size() > 1);
        chart.getStyler().setYAxisDecimalPattern("0.###");
        series.forEach((name, points) -> {
            double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
            double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(name, x, y).setMarker(points.size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        });
        try {
            BitmapEncoder.saveBitmap(chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
