package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import io.github.denseretrieval.trainer.recipe.PipelineConfig;
import io.github.denseretrieval.trainer.recipe.Recipe;
import io.github.denseretrieval.trainer.recipe.StageResult;
import io.github.denseretrieval.trainer.recipe.TeacherGate;
import io.github.denseretrieval.trainer.recipe.TeacherThresholds;
import io.github.denseretrieval.trainer.recipe.TrainingPipeline;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.FrozenCache;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code trainer train}: runs a recipe (dpr, rocketqa, pair) on a BEIR folder, or on DPR JSON /
 * MS MARCO triples, and leaves model folders, logs, plots and a results file in {@code --out}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a dual encoder with the DPR, RocketQA or PAIR recipe and export it as model folders the plugin serves.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--recipe", defaultValue = "dpr", description = "dpr, rocketqa or pair (default: ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--data", required = true, description = "BEIR folder: the corpus (and, without --train-file, the labelled questions).")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "qrels split to learn from (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--train-file", description = "Labelled examples from a DPR JSON (.json) or MS MARCO triples (.tsv) file instead of --split.")
    Path trainFile;

    @Option(names = "--eval-split", description = "Evaluate every trained stage on this qrels split of --data (e.g. test). Never used for choices.")
    String evalSplit;

    @Option(names = "--model", required = true, description = "ONNX model folder to start from (e.g. the bundled bge-small-en-v1.5).")
    Path model;

    @Option(names = "--cross-encoder-model", description = "ONNX model folder the cross-encoder starts from (default: --model).")
    Path crossEncoderModel;

    @Option(names = "--out", required = true, description = "Run folder: stage model folders, steps.csv, dev.csv, PNG plots, results.json.")
    Path out;

    @Option(names = "--device", defaultValue = "auto", description = {"auto, cpu or gpu (default: ${DEFAULT-VALUE}). auto and gpu train on every GPU",
        "PyTorch sees, with each batch spread over them and its negatives gathered across them."})
    String device;

    @Option(names = "--batch-size", defaultValue = "32", description = "DPR stage: questions per update (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--cross-batch", defaultValue = "128", description = "RocketQA/PAIR stages: questions per update through the gradient cache (default: ${DEFAULT-VALUE}).")
    int crossBatch;

    @Option(names = "--chunk-size", defaultValue = "32", description = "Texts per forward/backward pass of the gradient cache (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--forward-passes", defaultValue = "auto", description = {"auto, one or two (default: ${DEFAULT-VALUE}). two: the gradient",
        "cache (a pass without gradients, then one with per chunk); one: one pass with gradients over the whole batch, memory",
        "permitting, one device only; auto: one when each side of the batch fits in one --chunk-size on one device, else two."})
    String forwardPasses;

    @Option(names = "--frozen-cache", defaultValue = "auto", description = {"auto, on or off (default: ${DEFAULT-VALUE}). on: keep each",
        "training text's hidden states below the first trainable layer (real tokens only, float32: bge-small at 128 tokens 192 KiB",
        "a passage), so a text seen again runs only the trainable layers; auto: on when --freeze-layers is above 0; off: every update",
        "runs the embeddings and frozen layers."})
    String frozenCache;

    @Option(names = "--frozen-cache-mb", defaultValue = "2048", description = {"Heap the frozen-layer cache may take, in MiB (default:",
        "${DEFAULT-VALUE}; SciFact's corpus at 128 tokens is about 1 GB); texts past it run the frozen layers every time."})
    long frozenCacheMb;

    @Option(names = "--negatives", defaultValue = "1", description = "Hard negatives per question (default: ${DEFAULT-VALUE}, as DPR).")
    int negatives;

    @Option(names = "--negative-window", description = {"FROM:TO (1-based BM25 ranks, judged passages not counted): draw --negatives BM25",
        "negatives per question from these ranks again every epoch, instead of the top ones every epoch (e.g. 3:30)."})
    String negativeWindow;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs per dual-encoder stage (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop each stage after N updates (0 = no limit).")
    int maxSteps;

    @Option(names = "--lr", defaultValue = "2e-5", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--warmup", defaultValue = "0.1", description = "Fraction of updates spent warming up (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = {"Clip each update's gradient, all trainable parameters",
        "together, to this L2 norm; dual encoders and cross-encoder; 0 = no clipping (default: ${DEFAULT-VALUE})."})
    float maxGradNorm;

    @Option(names = "--temperature", defaultValue = "0.02", description = "Similarity temperature (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--alpha", defaultValue = "0.1", description = "PAIR passage-centric weight in pre-training (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--freeze-layers", defaultValue = "0", description = "Freeze embeddings and the lowest N layers (default: ${DEFAULT-VALUE}).")
    int freezeLayers;

    @Option(names = "--query-max-length", defaultValue = "64", description = "Question tokens in training (default: ${DEFAULT-VALUE}).")
    int queryMaxLength;

    @Option(names = "--passage-max-length", defaultValue = "256", description = "Passage tokens in training (default: ${DEFAULT-VALUE}); serving uses the model's max_seq_length.")
    int passageMaxLength;

    @Option(names = "--dev-fraction", defaultValue = "0.15", description = {"Fraction of the training questions held out of training as the",
        "dev split (chosen with --seed), searched over the full corpus after every epoch (default: ${DEFAULT-VALUE}; 0 = no dev checks)."})
    double devFraction;

    @Option(names = "--dev-questions", defaultValue = "0", description = "Hold out exactly N training questions instead of --dev-fraction (0 = use the fraction).")
    int devQuestions;

    @Option(names = "--max-train-examples", defaultValue = "0", description = "Use only the first N labelled examples (0 = all).")
    int maxTrainExamples;

    @Option(names = "--max-passages", defaultValue = "0", description = "Cut the corpus to judged passages plus N others (0 = all; quick checks, figures not comparable).")
    int maxPassages;

    @Option(names = "--mine-depth", defaultValue = "10", description = "Dense candidates per question the cross-encoder scores (default: ${DEFAULT-VALUE}).")
    int mineDepth;

    @Option(names = "--denoise", defaultValue = "auto", description = {"rocketqa: when the cross-encoder denoises M2's hard negatives and",
        "labels M3's augmentation data. auto: only if its dev nDCG@10 is above M1's (skipped without a dev split); always; never.",
        "When skipped, M1 is the recipe's model (default: ${DEFAULT-VALUE})."})
    String denoise;

    @Option(names = "--augment", defaultValue = "400", description = "Pseudo questions (passage titles) to label; 0 disables (default: ${DEFAULT-VALUE}).")
    int augment;

    @Option(names = "--positive-threshold", defaultValue = "0.9", description = {"Teacher probability above which a retrieved passage is a",
        "confident positive: a pseudo label, or a denoised candidate dropped as a likely positive (default: ${DEFAULT-VALUE})."})
    float positiveThreshold;

    @Option(names = "--negative-threshold", defaultValue = "0.1", description = {"Teacher probability below which a retrieved passage is a",
        "confident negative: the only candidates denoising keeps as hard negatives, and a pseudo label's negatives (default: ${DEFAULT-VALUE})."})
    float negativeThreshold;

    @Option(names = "--ce-epochs", defaultValue = "1", description = "Cross-encoder epochs (default: ${DEFAULT-VALUE}).")
    int ceEpochs;

    @Option(names = "--ce-batch-size", defaultValue = "8", description = "Cross-encoder questions per update (default: ${DEFAULT-VALUE}).")
    int ceBatchSize;

    @Option(names = "--ce-negatives", defaultValue = "3", description = "Cross-encoder negatives per question (default: ${DEFAULT-VALUE}).")
    int ceNegatives;

    @Option(names = "--ce-lr", defaultValue = "3e-5", description = "Cross-encoder learning rate (default: ${DEFAULT-VALUE}).")
    float ceLearningRate;

    @Option(names = "--ce-max-length", defaultValue = "256", description = "Cross-encoder pair tokens (default: ${DEFAULT-VALUE}).")
    int ceMaxLength;

    @Option(names = "--ce-freeze-layers", defaultValue = "0", description = "Cross-encoder frozen layers (default: ${DEFAULT-VALUE}).")
    int ceFreezeLayers;

    @Option(names = "--no-tensorflow", description = "Do not write the TensorFlow SavedModel folder.")
    boolean noTensorflow;

    @Option(names = "--resume", description = "Continue an interrupted run in --out: finished stages are reused, the current one restarts after its last epoch.")
    boolean resume;

    @Option(names = "--separate-towers", description = {"Train a question tower and a passage tower (DPR's original form) instead of one",
        "shared encoder; each stage then also writes <stage>/query/onnx. Not with --recipe pair."})
    boolean separateTowers;

    @Option(names = "--pair-pretrain-data", defaultValue = "pseudo", description = {"What PAIR pre-trains on: pseudo (the cross-encoder's",
        "pseudo labels, as the paper) or labelled (the labelled questions; the paper's ablation without pseudo data). Default: ${DEFAULT-VALUE}."})
    String pairPretrainOn;

    @Option(names = "--wise-ft", split = ",", description = {"Weights a to try for the recipe's final model averaged with --model,",
        "(1 - a) x base + a x fine-tuned (WiSE-FT), e.g. 0.25,0.5,0.75,1: each is checked on the dev split and the best becomes",
        "stage <final>-wise-ft (1 keeps the fine-tuned model as a candidate). Needs a dev split. Default: none."})
    List<Float> wiseFtAlphas = List.of();

    @Option(names = "--seed", defaultValue = "42", description = "Seed for shuffling, dev hold-out and heads (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!pairPretrainOn.equals("pseudo") && !pairPretrainOn.equals("labelled")) {
            throw new IllegalArgumentException("--pair-pretrain-data must be pseudo or labelled, got [" + pairPretrainOn + "]");
        }
        TrainingSettings dual = new TrainingSettings(batchSize, chunkSize, ForwardPasses.fromName(forwardPasses), FrozenCache.fromName(frozenCache),
            frozenCacheMb << 20, negatives, epochs, maxSteps, learningRate, warmup, weightDecay, maxGradNorm, temperature, 0f, seed);
        TrainingSettings ce = new TrainingSettings(Math.max(2, ceBatchSize), ceBatchSize, ForwardPasses.AUTO, ceNegatives, ceEpochs, maxSteps, ceLearningRate, warmup,
            weightDecay, maxGradNorm, 1f, 0f, seed);
        PipelineConfig config = new PipelineConfig(Recipe.fromName(recipe),
            new PipelineConfig.RunData(data, split, evalSplit, trainFile, maxTrainExamples, maxPassages, devQuestions, devFraction),
            new PipelineConfig.StudentModel(model, TorchRuntime.devices(DeviceChoice.fromName(device)), queryMaxLength, passageMaxLength,
                freezeLayers, separateTowers, wiseFtAlphas),
            dual, crossBatch, negativeWindow(),
            new PipelineConfig.TeacherModel(crossEncoderModel != null ? crossEncoderModel : model, ce, ceFreezeLayers, ceMaxLength,
                TeacherGate.Mode.fromName(denoise), new TeacherThresholds(negativeThreshold, positiveThreshold), mineDepth, augment),
            new PipelineConfig.PairSettings(alpha, pairPretrainOn.equals("labelled")), out, !noTensorflow, resume);
        long start = System.nanoTime();
        List<StageResult> results;
        try (TrainingPipeline pipeline = TrainingPipeline.open(config)) {
            results = pipeline.run();
        }
        JsonObject summary = new JsonObject();
        summary.addProperty("recipe", recipe);
        summary.addProperty("wall_seconds", Math.round((System.nanoTime() - start) / 1e9));
        JsonArray stages = new JsonArray();
        results.forEach(r -> stages.add(r.toJson()));
        summary.add("stages", stages);
        Json.write(out.resolve("results.json"), summary);
        System.out.printf(Locale.ROOT, "%-16s %8s %8s %10s %8s%n", "stage", "updates", "nDCG@10", "Recall@100", "train_s");
        for (StageResult r : results) {
            // Intermediate stages (PAIR's pre-training) are not evaluated: a dash, not NaN.
            System.out.printf(Locale.ROOT, "%-16s %8d %8s %10s %8.0f%n", r.stage(), r.updates(), figure(r.ndcgAt10()), figure(r.recallAt100()),
                r.trainSeconds());
        }
        System.out.println("model folder: " + results.get(results.size() - 1).model());
        return 0;
    }

    /** --negative-window as 0-based ranks, or none. */
    private PipelineConfig.NegativeWindow negativeWindow() {
        if (negativeWindow == null) {
            return PipelineConfig.NegativeWindow.NONE;
        }
        String[] parts = window();
        return new PipelineConfig.NegativeWindow(Integer.parseInt(parts[0].trim()) - 1, Integer.parseInt(parts[1].trim()));
    }

    private String[] window() {
        String[] parts = negativeWindow.split(":");
        if (parts.length != 2 || !parts[0].trim().matches("\\d+") || !parts[1].trim().matches("\\d+")) {
            throw new IllegalArgumentException("--negative-window must be FROM:TO (1-based ranks, e.g. 3:30), got [" + negativeWindow + "]");
        }
        return parts;
    }

    private static String figure(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.4f", value);
    }
}
