package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.trainer.train.TrainingSettings;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a training run is told.
 *
 * @param data               BEIR folder (corpus, questions, qrels)
 * @param trainSplit         qrels split the model learns from
 * @param evalSplit          qrels split every trained stage is evaluated on (null: none)
 * @param baseModel          ONNX model folder the dual encoder starts from
 * @param crossEncoderModel  ONNX model folder the cross-encoder starts from
 * @param labelledFile       labelled examples from a DPR JSON or MS MARCO triples file instead of {@code trainSplit} (null: the split)
 * @param devices            where the dual encoder trains: one replica per device, batches spread over them (the first also
 *                           trains the cross-encoder)
 * @param maxTrainQuestions  use only the first N labelled examples (0 = all; smoke tests)
 * @param maxPassages        corpus cut to the judged passages plus N others (0 = all; smoke tests, figures not comparable)
 * @param dual               the dual-encoder stages' settings; {@code batchSize} is DPR's batch
 * @param crossBatch         batch of the RocketQA and PAIR stages (cross-batch negatives through the gradient cache)
 * @param crossEncoder       the cross-encoder's settings
 * @param devQuestions       training questions held out as the dev split (0: {@code devFraction} of them)
 * @param devFraction        fraction of the training questions held out as the dev split when {@code devQuestions} is 0
 * @param mineDepth          dense candidates retrieved per question for denoising and pseudo-labelling
 * @param denoise            rocketqa only: whether the teacher denoises and labels augmentation data always, never, or (auto)
 *                           when its dev nDCG@10 is above M1's ({@link TeacherGate})
 * @param augmentQuestions   pseudo questions to label (0 disables augmentation)
 * @param positiveThreshold  the teacher's probability above which a retrieved passage is a confident positive: a pseudo
 *                           label's positive, a denoised candidate dropped as a likely positive
 * @param negativeThreshold  the probability below which it is a confident negative: the only candidates denoising keeps as
 *                           hard negatives, and a pseudo label's negatives
 * @param separateTowers     a question tower and a passage tower instead of one shared encoder
 * @param negativeWindowFrom first BM25 rank (0-based, positives removed) hard negatives are drawn from each epoch
 * @param negativeWindowTo   rank after the last one of that window; 0: no drawing, the top {@code dual.negativesPerQuestion()}
 *                           BM25 passages are every epoch's negatives
 * @param pairPretrainOnLabelled PAIR pre-trains on the labelled data instead of the teacher's pseudo labels (the paper's
 *                           "without pseudo data" ablation; for a teacher too weak to label anything confidently)
 */
public record PipelineConfig(Recipe recipe, Path data, String trainSplit, String evalSplit, Path baseModel, Path crossEncoderModel,
                             Path labelledFile, Path out, List<Device> devices, int queryMaxLength, int passageMaxLength, int freezeLayers,
                             int maxTrainQuestions, int maxPassages, TrainingSettings dual, int crossBatch, TrainingSettings crossEncoder,
                             int crossEncoderFreezeLayers, int crossEncoderMaxLength, int devQuestions, double devFraction, int mineDepth,
                             TeacherGate.Mode denoise, int augmentQuestions, float positiveThreshold, float negativeThreshold, float pairAlpha,
                             boolean exportTensorflow, boolean resume, boolean separateTowers,
                             boolean pairPretrainOnLabelled, int negativeWindowFrom, int negativeWindowTo) {

    public PipelineConfig {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("at least one device is needed");
        }
        devices = List.copyOf(devices);
        if (denoise != TeacherGate.Mode.AUTO && recipe != Recipe.ROCKETQA) {
            throw new IllegalArgumentException("--denoise " + denoise.jsonName() + " applies to the rocketqa recipe only, not to "
                + recipe.jsonName() + "; drop it");
        }
        // Checks the two thresholds now rather than when the teacher is first used, hours into the run (the parameters:
        // a compact constructor has not assigned the fields yet).
        new TeacherThresholds(negativeThreshold, positiveThreshold);
        if (separateTowers && recipe == Recipe.PAIR) {
            throw new IllegalArgumentException("the pair recipe needs one shared encoder: its passage-centric loss compares passages with "
                + "passages and questions in one space; drop --separate-towers");
        }
        if (negativeWindowTo != 0 && (negativeWindowFrom < 0 || negativeWindowTo <= negativeWindowFrom)) {
            throw new IllegalArgumentException("--negative-window must be FROM:TO with 1 <= FROM <= TO, got " + (negativeWindowFrom + 1) + ":"
                + negativeWindowTo);
        }
        if (crossBatch < 2) {
            throw new IllegalArgumentException("cross batch must be >= 2, got " + crossBatch);
        }
    }

    /** RocketQA's two thresholds on the teacher's probability, shared by denoising and pseudo-labelling. */
    public TeacherThresholds teacherThresholds() {
        return new TeacherThresholds(negativeThreshold, positiveThreshold);
    }

    /** The first device: where the cross-encoder trains and the dual encoder's primary replica lives. */
    public Device device() {
        return devices.get(0);
    }
}
