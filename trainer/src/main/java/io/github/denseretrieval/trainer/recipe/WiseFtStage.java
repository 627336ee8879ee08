package io.github.denseretrieval.trainer.recipe;

import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.trainer.export.BertWeights;
import io.github.denseretrieval.trainer.export.OnnxModelFile;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.export.TrainedModelExport;
import io.github.denseretrieval.trainer.export.WeightInterpolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * WiSE-FT after a recipe: the final model's weights averaged with the base model's at each weight
 * of {@code --wise-ft}, each candidate checked on the dev split by the protocol of the training
 * checks, and the best kept as stage {@code <final>-wise-ft}, evaluated once like any stage. The
 * weight is a choice made on dev, so test never sees the candidates. A few hundred questions move
 * the weights a short way from a base model trained on far more data, and part of that move can be
 * over-fitting: the average is a cheap way to keep the gain and drop that part, and the dev split
 * decides whether it does (weight 1, the fine-tuned model, may win). Candidates go to {@code
 * wise-ft.csv}.
 */
final class WiseFtStage {

    static final String SUFFIX = "-wise-ft";
    static final String CANDIDATES_FILE = "wise-ft.csv";

    private WiseFtStage() {}

    /** One tower of the tuned model; {@code subfolder} is where it goes in a stage folder (null: the stage folder itself). */
    private record Tower(Map<String, FloatTensor> tuned, JsonObject provenance, Path subfolder) {}

    static StageResult run(TrainingPipeline steps, StageResult tuned) throws IOException {
        PipelineConfig config = steps.config();
        String stage = tuned.stage() + SUFFIX;
        StageResult earlier = steps.earlierResult(stage);
        if (earlier != null) {
            return earlier;
        }
        Path dir = config.out().resolve(stage);
        TrainingPipeline.deleteRecursively(dir);
        long t0 = System.nanoTime();
        Path base = config.student().base();
        // Read once: its tensors are every candidate's start, and the TensorFlow export needs its whole encoder.
        OnnxModelFile start = OnnxModelFile.read(weightsOf(base));
        List<Tower> towers = new ArrayList<>();
        towers.add(tower(tuned.model(), stage, null));
        Path query = TrainedModelExport.queryTowerOf(tuned.model());
        if (!query.equals(tuned.model())) {
            towers.add(tower(query, stage, Path.of(TrainedModelExport.QUERY_TOWER_DIR)));
        }

        Path candidates = config.out().resolve(CANDIDATES_FILE);
        if (!Files.exists(candidates)) {
            Files.writeString(candidates, "stage,alpha,dev_ndcg@10,dev_recall@100\n", StandardCharsets.UTF_8);
        }
        float best = Float.NaN;
        MetricSummary bestFigures = null;
        List<String> tried = new ArrayList<>();
        for (float alpha : config.student().wiseFtAlphas()) {
            Path folder = write(steps, start, towers, alpha, dir.resolve(String.format(Locale.ROOT, "alpha-%.2f", alpha)), stage, false);
            MetricSummary m = steps.devCheck(folder, String.format(Locale.ROOT, "%s alpha %.2f", stage, alpha));
            TrainingPipeline.deleteRecursively(folder.getParent());
            Files.writeString(candidates, String.format(Locale.ROOT, "%s,%.4f,%.4f,%.4f%n", tuned.stage(), alpha, m.ndcgAt10(), m.recallAt100()),
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            tried.add(String.format(Locale.ROOT, "%.2f: %.4f", alpha, m.ndcgAt10()));
            // Ties go to the weight nearer the fine-tuned model: averaging must earn its place on dev.
            if (bestFigures == null || m.ndcgAt10() > bestFigures.ndcgAt10() || (m.ndcgAt10() == bestFigures.ndcgAt10() && alpha > best)) {
                best = alpha;
                bestFigures = m;
            }
        }
        String choice = String.format(Locale.ROOT, "weight %.2f of %s chosen on dev (nDCG@10 %.4f); tried %s", best, tuned.stage(),
            bestFigures.ndcgAt10(), String.join(", ", tried));
        System.err.println(stage + ": " + choice);
        Path model = write(steps, start, towers, best, dir, stage, config.exportTensorflow());
        double chooseSeconds = (System.nanoTime() - t0) / 1e9;

        TrainingPipeline.StageFigures figures;
        String evalSplit = config.data().evalSplit();
        if (evalSplit != null && best == 1f && evalSplit.equals(tuned.evalSplit())) {
            // Weight 1 writes the tuned tensors back bit for bit: the same model, so its figures, not a second evaluation.
            figures = new TrainingPipeline.StageFigures(evalSplit, tuned.ndcgAt10(), tuned.recallAt100(), tuned.mrrAt10(), 0);
            System.err.printf(Locale.ROOT, "%s on %s: the weights of %s, so its figures: nDCG@10 %.4f  Recall@100 %.4f%n", stage, evalSplit,
                tuned.stage(), figures.ndcgAt10(), figures.recallAt100());
        } else {
            figures = steps.evaluateStage(stage, model);
        }
        StageResult result = new StageResult(stage, config.recipe().jsonName(), model, tuned.examples(), 0, chooseSeconds,
            figures.split(), figures.ndcgAt10(), figures.recallAt100(), figures.mrrAt10(), figures.seconds(), 0, Map.of("wise_ft", choice));
        result.write(dir.resolve(StageResult.FILE));
        return result;
    }

    private static Tower tower(Path folder, String stage, Path subfolder) throws IOException {
        JsonObject provenance = ModelManifest.read(folder).provenance().deepCopy();
        provenance.addProperty("stage", stage);
        return new Tower(OnnxModelFile.read(weightsOf(folder)).floatTensors(), provenance, subfolder);
    }

    /** Writes each tower at {@code alpha} under {@code out} (the passage or shared tower's {@code onnx} folder first); returns that folder. */
    private static Path write(TrainingPipeline steps, OnnxModelFile start, List<Tower> towers, float alpha, Path out, String stage,
                              boolean tensorflow) throws IOException {
        Path base = steps.config().student().base();
        Path first = null;
        for (Tower t : towers) {
            Map<String, FloatTensor> weights = WeightInterpolation.between(start.floatTensors(), t.tuned(), alpha);
            JsonObject provenance = t.provenance().deepCopy();
            provenance.addProperty("wise_ft_alpha", alpha);
            // Separate towers name each other: the names are this stage's now.
            if (provenance.has("query_model")) {
                provenance.addProperty("query_model", steps.modelName(stage) + "-query");
            }
            if (provenance.has("passage_model")) {
                provenance.addProperty("passage_model", steps.modelName(stage));
            }
            // The TensorFlow export needs the whole encoder; the ONNX one only the changed tensors.
            BertWeights full = tensorflow ? BertWeights.from(start).replacing(weights) : null;
            Path towerOut = t.subfolder() == null ? out : out.resolve(t.subfolder());
            String name = steps.modelName(stage) + (t.subfolder() == null ? "" : "-query");
            Path written = TrainedModelExport.write(base, full, weights, towerOut, name, provenance, tensorflow);
            first = first == null ? written : first;
        }
        return first;
    }

    private static Path weightsOf(Path modelFolder) throws IOException {
        return modelFolder.resolve(ModelManifest.read(modelFolder).weights());
    }
}
