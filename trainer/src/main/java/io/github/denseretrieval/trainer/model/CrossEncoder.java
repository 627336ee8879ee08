package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextTokenizer;
import io.github.denseretrieval.encoder.TokenBatch;
import io.github.denseretrieval.trainer.export.BertWeights;
import io.github.denseretrieval.trainer.export.OnnxModelFile;
import io.github.denseretrieval.trainer.export.TrainedModelExport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * RocketQA's and PAIR's teacher: one BERT reads {@code [CLS] question [SEP] passage [SEP]} and a
 * linear head on the {@code [CLS]} state gives a relevance logit; its sigmoid is the probability
 * that the passage answers the question, which the denoising and pseudo-labelling thresholds
 * (0.9 / 0.1 in the paper) are applied to. Warm-started from a model folder's ONNX encoder with
 * a fresh head. Saved as {@code onnx/} (the encoder tensors swapped into the base graph) plus
 * {@code head.json}. Not thread-safe.
 */
public final class CrossEncoder implements AutoCloseable {

    private static final String HEAD_FILE = "head.json";

    private final Path baseFolder;
    private final NDManager manager;
    private final Scorer scorer;
    private final ParameterStore store;
    private final TextTokenizer tokenizer;

    private CrossEncoder(Path baseFolder, NDManager manager, Scorer scorer, TextTokenizer tokenizer) {
        this.baseFolder = baseFolder;
        this.manager = manager;
        this.scorer = scorer;
        this.store = new ParameterStore(manager, false);
        this.tokenizer = tokenizer;
    }

    /** A new cross-encoder on {@code folder}'s encoder weights with a small random head. */
    public static CrossEncoder fresh(Path folder, Device device, int maxLength, long seed) throws IOException {
        ModelManifest manifest = ModelManifest.read(folder);
        BertWeights weights = BertWeights.from(OnnxModelFile.read(folder.resolve(manifest.weights())));
        int hidden = weights.config().hidden();
        Random random = new Random(seed);
        float[] w = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            w[i] = (float) (random.nextGaussian() * 0.02);
        }
        return build(folder, weights, w, 0f, device, maxLength, manifest.maxSeqLength());
    }

    /** A cross-encoder saved by {@link #save}. */
    public static CrossEncoder load(Path saved, Device device, int maxLength) throws IOException {
        Path encoder = saved.resolve(TrainedModelExport.ONNX_DIR);
        ModelManifest manifest = ModelManifest.read(encoder);
        BertWeights weights = BertWeights.from(OnnxModelFile.read(encoder.resolve(manifest.weights())));
        JsonObject head = JsonParser.parseString(Files.readString(saved.resolve(HEAD_FILE), StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray array = head.getAsJsonArray("weight");
        float[] w = new float[array.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = array.get(i).getAsFloat();
        }
        return build(encoder, weights, w, head.get("bias").getAsFloat(), device, maxLength, manifest.maxSeqLength());
    }

    private static CrossEncoder build(Path folder, BertWeights weights, float[] headWeight, float headBias, Device device, int maxLength,
                                      int modelMax) {
        NDManager manager = TorchRuntime.engine().newBaseManager(device);
        Scorer scorer = new Scorer(manager, weights, headWeight, headBias);
        scorer.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        return new CrossEncoder(folder, manager, scorer,
            TextTokenizer.open(folder.resolve(TextEncoder.TOKENIZER_FILE), Math.min(maxLength, modelMax)));
    }

    /** Freezes the embeddings and the lowest {@code count} transformer layers. */
    public void freezeBottom(int count) {
        scorer.tower.freezeBottom(count);
    }

    /** Relevance logits {@code [pairs]} on {@code scope}; with {@code training}, recorded for backward. */
    public NDArray logits(NDManager scope, List<String> questions, List<String> passages, boolean training) {
        Encoding[] encodings = tokenizer.encodePairs(questions, passages);
        return logits(scope, TokenBatch.pad(encodings, IntStream.range(0, encodings.length).toArray()), training);
    }

    private NDArray logits(NDManager scope, TokenBatch batch, boolean training) {
        NDArray ids = scope.create(batch.inputIds(), new Shape(batch.shape()));
        NDArray mask = scope.create(batch.attentionMask(), new Shape(batch.shape()));
        NDArray types = scope.create(batch.tokenTypeIds(), new Shape(batch.shape()));
        return scorer.forward(store, new NDList(ids, mask, types), training).singletonOrThrow();
    }

    /** Probabilities that each of {@code passages} answers {@code question}, without gradients. */
    public float[] probabilities(String question, List<String> passages, int batchSize) {
        return probabilities(java.util.Collections.nCopies(passages.size(), question), passages, batchSize);
    }

    /** Probabilities (sigmoid of the logits) for each pair, without gradients, in length-sorted batches. */
    public float[] probabilities(List<String> questions, List<String> passages, int batchSize) {
        Encoding[] encodings = tokenizer.encodePairs(questions, passages);
        float[] out = new float[encodings.length];
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, batchSize)) {
            try (NDManager scope = manager.newSubManager()) {
                float[] p = ai.djl.nn.Activation.sigmoid(logits(scope, TokenBatch.pad(encodings, rows), false)).toFloatArray();
                for (int r = 0; r < rows.length; r++) {
                    if (!Float.isFinite(p[r])) {
                        // NaN compares false with every threshold: denoising would drop the candidate, pseudo-labelling skip it, silently.
                        throw new IllegalStateException("the cross-encoder scored a pair " + p[r] + "; its weights are not finite "
                            + "(training diverged?), so its labels cannot be used");
                    }
                    out[rows[r]] = p[r];
                }
            }
        }
        return out;
    }

    /** Writes the encoder (tensors swapped into the base ONNX graph) and the head to {@code out}. */
    public void save(Path out) throws IOException {
        JsonObject provenance = new JsonObject();
        provenance.addProperty("role", "cross-encoder teacher (head in " + HEAD_FILE + ")");
        TrainedModelExport.write(baseFolder, scorer.tower.trainedWeights(), scorer.tower.trainedTensors(), out,
            ModelManifest.read(baseFolder).name() + "-cross-encoder", provenance, false);
        JsonObject head = new JsonObject();
        JsonArray weight = new JsonArray();
        for (float v : scorer.headWeight.getArray().toFloatArray()) {
            weight.add(v);
        }
        head.add("weight", weight);
        head.addProperty("bias", scorer.headBias.getArray().toFloatArray()[0]);
        Files.writeString(out.resolve(HEAD_FILE), head.toString(), StandardCharsets.UTF_8);
    }

    public ai.djl.nn.Block block() {
        return scorer;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            manager.close();
        }
    }

    /** The tower and the head as one block, so the optimizer sees every parameter. */
    private static final class Scorer extends PretrainedBlock {

        private final BertTower tower;
        private final Parameter headWeight;
        private final Parameter headBias;

        Scorer(NDManager manager, BertWeights weights, float[] w, float b) {
            this.tower = addChildBlock("tower", new BertTower(manager, weights));
            this.headWeight = fresh("head_weight", Parameter.Type.WEIGHT, manager.create(w, new Shape(w.length, 1)));
            this.headBias = fresh("head_bias", Parameter.Type.BIAS, manager.create(new float[] {b}, new Shape(1)));
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray hidden = tower.forward(store, inputs, training).singletonOrThrow();
            NDArray cls = hidden.get(new NDIndex(":, 0, :"));
            NDArray w = store.getValue(headWeight, cls.getDevice(), training);
            NDArray b = store.getValue(headBias, cls.getDevice(), training);
            return new NDList(cls.matMul(w).add(b).squeeze(1));
        }
    }
}
