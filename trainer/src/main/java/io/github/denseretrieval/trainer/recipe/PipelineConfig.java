package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.trainer.train.TrainingSettings;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a training run is told, grouped by what it is about.
 *
 * @param data             what the run learns from and is measured on
 * @param student          the dual encoder being trained
 * @param dual             the dual-encoder stages' settings; {@code batchSize} is DPR's batch
 * @param crossBatch       batch of the RocketQA and PAIR stages (cross-batch negatives through the gradient cache)
 * @param negativeWindow   where BM25 hard negatives are drawn from each epoch
 * @param teacher          the cross-encoder and what RocketQA and PAIR let it do
 * @param pair             PAIR's pre-training settings
 * @param out              run folder: every stage's artifacts, results.json, steps.csv, dev.csv
 * @param exportTensorflow each exported model folder also gets a TensorFlow SavedModel
 * @param resume           continue an interrupted stage from its last epoch checkpoint
 */
public record PipelineConfig(Recipe recipe, RunData data, StudentModel student, TrainingSettings dual, int crossBatch,
                             NegativeWindow negativeWindow, TeacherModel teacher, PairSettings pair, Path out, boolean exportTensorflow,
                             boolean resume) {

    public PipelineConfig {
        if (teacher.denoise() != TeacherGate.Mode.AUTO && recipe != Recipe.ROCKETQA) {
            throw new IllegalArgumentException("--denoise " + teacher.denoise().jsonName() + " applies to the rocketqa recipe only, not to "
                + recipe.jsonName() + "; drop it");
        }
        if (student.separateTowers() && recipe == Recipe.PAIR) {
            throw new IllegalArgumentException("the pair recipe needs one shared encoder: its passage-centric loss compares passages with "
                + "passages and questions in one space; drop --separate-towers");
        }
        if (crossBatch < 2) {
            throw new IllegalArgumentException("cross batch must be >= 2, got " + crossBatch);
        }
    }

    /**
     * What the run learns from and is measured on.
     *
     * @param folder            BEIR folder (corpus, questions, qrels)
     * @param trainSplit        qrels split the model learns from
     * @param evalSplit         qrels split every trained stage is evaluated on (null: none)
     * @param labelledFile      labelled examples from a DPR JSON or MS MARCO triples file instead of {@code trainSplit} (null: the split)
     * @param maxTrainQuestions use only the first N labelled examples (0 = all; smoke tests)
     * @param maxPassages       corpus cut to the judged passages plus N others (0 = all; smoke tests, figures not comparable)
     * @param devQuestions      training questions held out as the dev split (0: {@code devFraction} of them)
     * @param devFraction       fraction of the training questions held out as the dev split when {@code devQuestions} is 0
     */
    public record RunData(Path folder, String trainSplit, String evalSplit, Path labelledFile, int maxTrainQuestions, int maxPassages,
                          int devQuestions, double devFraction) {
    }

    /**
     * The dual encoder being trained.
     *
     * @param base           ONNX model folder it starts from
     * @param devices        where it trains: one replica per device, batches spread over them (the first also trains the teacher)
     * @param freezeLayers   bottom transformer layers kept at the base weights
     * @param separateTowers a question tower and a passage tower instead of one shared encoder
     * @param wiseFtAlphas   weights of the recipe's final model against {@code base} to try on the dev split
     *                       ({@link WiseFtStage}); empty: none, the final model is the recipe's
     */
    public record StudentModel(Path base, List<Device> devices, int queryMaxLength, int passageMaxLength, int freezeLayers,
                               boolean separateTowers, List<Float> wiseFtAlphas) {
        public StudentModel {
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("at least one device is needed");
            }
            devices = List.copyOf(devices);
            for (float a : wiseFtAlphas) {
                if (!(a >= 0 && a <= 1)) {
                    throw new IllegalArgumentException("--wise-ft weights must be in [0, 1] (0: the base model, 1: the fine-tuned one), got "
                        + wiseFtAlphas);
                }
            }
            if (new java.util.HashSet<>(wiseFtAlphas).size() != wiseFtAlphas.size()) {
                throw new IllegalArgumentException("--wise-ft lists a weight twice: " + wiseFtAlphas);
            }
            wiseFtAlphas = List.copyOf(wiseFtAlphas);
        }

        /** The first device: where the cross-encoder trains and the dual encoder's primary replica lives. */
        public Device device() {
            return devices.get(0);
        }
    }

    /**
     * BM25 ranks hard negatives are drawn from, again every epoch.
     *
     * @param from first rank (0-based, positives removed)
     * @param to   rank after the last one; 0: no drawing, the top BM25 passages are every epoch's negatives
     */
    public record NegativeWindow(int from, int to) {
        public static final NegativeWindow NONE = new NegativeWindow(0, 0);

        public NegativeWindow {
            if (to != 0 && (from < 0 || to <= from)) {
                throw new IllegalArgumentException("--negative-window must be FROM:TO with 1 <= FROM <= TO, got " + (from + 1) + ":" + to);
            }
        }

        public boolean isSet() {
            return to > 0;
        }
    }

    /**
     * The cross-encoder teacher and what RocketQA and PAIR let it do.
     *
     * @param base             ONNX model folder it starts from
     * @param training         its training settings
     * @param freezeLayers     bottom transformer layers kept at the base weights
     * @param maxLength        tokens of a question and passage pair
     * @param denoise          rocketqa only: whether the teacher denoises and labels augmentation data always, never, or (auto)
     *                         when its dev nDCG@10 is above M1's ({@link TeacherGate})
     * @param thresholds       RocketQA's two thresholds on its probability, shared by denoising and pseudo-labelling
     * @param mineDepth        dense candidates retrieved per question for denoising and pseudo-labelling
     * @param augmentQuestions pseudo questions to label (0 disables augmentation)
     */
    public record TeacherModel(Path base, TrainingSettings training, int freezeLayers, int maxLength, TeacherGate.Mode denoise,
                               TeacherThresholds thresholds, int mineDepth, int augmentQuestions) {
    }

    /**
     * PAIR's pre-training.
     *
     * @param alpha              weight of the passage-centric loss in pre-training
     * @param pretrainOnLabelled pre-train on the labelled data instead of the teacher's pseudo labels (the paper's "without
     *                           pseudo data" ablation; for a teacher too weak to label anything confidently)
     */
    public record PairSettings(float alpha, boolean pretrainOnLabelled) {
    }
}
