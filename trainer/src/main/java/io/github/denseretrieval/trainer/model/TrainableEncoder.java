package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.denseretrieval.encoder.EngineType;
import io.github.denseretrieval.encoder.InvalidModelException;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.Pooling;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.encoder.TextTokenizer;
import io.github.denseretrieval.encoder.TokenBatch;
import io.github.denseretrieval.trainer.export.BertWeights;
import io.github.denseretrieval.trainer.export.OnnxModelFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A model folder's encoder opened for training: the ONNX weights as a {@link BertTower} on the
 * PyTorch engine, the folder's tokenizer, prefixes, pooling and normalisation, so that a vector
 * computed here is the vector the plugin computes from the exported folder. By default questions
 * and passages share one tower (PAIR's passage-centric loss compares passages with passages,
 * which only means something in one space); DPR's original form has two towers, one per role,
 * each warm-started from a folder. Not thread-safe: training is one thread driving the engine.
 */
public final class TrainableEncoder implements AutoCloseable {

    private final Path folder;
    private final ModelManifest manifest;
    private final NDManager manager;
    private final BertTower queryTower;
    private final BertTower passageTower;
    private final ParameterStore store;
    private final TextTokenizer queryTokenizer;
    private final TextTokenizer passageTokenizer;

    private TrainableEncoder(Path folder, ModelManifest manifest, NDManager manager, BertTower queryTower, BertTower passageTower,
                             TextTokenizer queryTokenizer, TextTokenizer passageTokenizer) {
        this.folder = folder;
        this.manifest = manifest;
        this.manager = manager;
        this.queryTower = queryTower;
        this.passageTower = passageTower;
        this.store = new ParameterStore(manager, false);
        this.queryTokenizer = queryTokenizer;
        this.passageTokenizer = passageTokenizer;
    }

    /**
     * Opens {@code folder} (an ONNX model folder) on {@code device}, truncating questions to
     * {@code queryMaxLength} and passages to {@code passageMaxLength} tokens (each capped at the
     * model's {@code max_seq_length}).
     */
    public static TrainableEncoder open(Path folder, Device device, int queryMaxLength, int passageMaxLength) throws IOException {
        return open(folder, null, device, queryMaxLength, passageMaxLength);
    }

    /**
     * As {@link #open(Path, Device, int, int)}; with a {@code queryFolder}, questions get a tower
     * of their own warm-started from it (which may be {@code folder} itself), and {@code folder}
     * becomes the passage tower. The two folders must share the tokenizer and vector settings.
     */
    public static TrainableEncoder open(Path folder, Path queryFolder, Device device, int queryMaxLength, int passageMaxLength)
        throws IOException {
        ModelManifest manifest = onnxManifest(folder);
        NDManager manager = TorchRuntime.engine().newBaseManager(device);
        BertTower passageTower = tower(manager, folder, manifest);
        BertTower queryTower = passageTower;
        if (queryFolder != null) {
            ModelManifest query = onnxManifest(queryFolder);
            if (query.dimensions() != manifest.dimensions() || query.pooling() != manifest.pooling() || query.normalize() != manifest.normalize()) {
                manager.close();
                throw new InvalidModelException("query tower [" + queryFolder + "] and passage tower [" + folder
                    + "] differ in dimensions, pooling or normalisation");
            }
            queryTower = tower(manager, queryFolder, query);
        }
        Path tokenizerFile = folder.resolve(TextEncoder.TOKENIZER_FILE);
        int cap = manifest.maxSeqLength();
        return new TrainableEncoder(folder, manifest, manager, queryTower, passageTower,
            TextTokenizer.open(tokenizerFile, Math.min(cap, queryMaxLength)), TextTokenizer.open(tokenizerFile, Math.min(cap, passageMaxLength)));
    }

    private static ModelManifest onnxManifest(Path folder) throws IOException {
        ModelManifest manifest = ModelManifest.read(folder);
        if (manifest.engine() != EngineType.ONNX) {
            throw new InvalidModelException("model folder [" + folder + "]: training warm-starts from ONNX weights, but this folder's engine is ["
                + manifest.engine().jsonName() + "]; train from the ONNX folder it was converted from");
        }
        return manifest;
    }

    private static BertTower tower(NDManager manager, Path folder, ModelManifest manifest) throws IOException {
        BertTower tower = new BertTower(manager, BertWeights.from(OnnxModelFile.read(folder.resolve(manifest.weights()))));
        tower.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        return tower;
    }

    /**
     * Vectors {@code [texts, hidden]} for {@code texts}, on {@code scope} (closed by the caller).
     * With {@code training} the engine records the graph when a gradient collector is open.
     */
    public NDArray embed(NDManager scope, List<String> texts, TextRole role, boolean training) {
        TokenBatch batch = tokenize(texts, role, IntStream.range(0, texts.size()).toArray());
        return embed(scope, batch, role, training);
    }

    NDArray embed(NDManager scope, TokenBatch batch, TextRole role, boolean training) {
        NDArray ids = scope.create(batch.inputIds(), new Shape(batch.shape()));
        NDArray mask = scope.create(batch.attentionMask(), new Shape(batch.shape()));
        NDArray types = scope.create(batch.tokenTypeIds(), new Shape(batch.shape()));
        NDArray hidden = tower(role).forward(store, new NDList(ids, mask, types), training).singletonOrThrow();
        NDArray pooled = pool(hidden, mask, manifest.pooling());
        return manifest.normalize() ? pooled.div(pooled.norm(new int[] {1}, true)) : pooled;
    }

    static NDArray pool(NDArray hidden, NDArray mask, Pooling pooling) {
        if (pooling == Pooling.CLS) {
            return hidden.get(new NDIndex(":, 0, :"));
        }
        NDArray weights = mask.toType(DataType.FLOAT32, false).expandDims(-1);
        return hidden.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
    }

    /**
     * Encodes without gradients (mining, evaluation, the first pass of the gradient cache), in
     * length-sorted batches of {@code batchSize}; rows come back in input order.
     */
    public float[][] encode(List<String> texts, TextRole role, int batchSize) {
        Encoding[] encodings = tokenizer(role).encode(prefixed(texts, role));
        float[][] out = new float[texts.size()][];
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, batchSize)) {
            try (NDManager scope = manager.newSubManager()) {
                float[] flat = embed(scope, TokenBatch.pad(encodings, rows), role, false).toFloatArray();
                int dim = flat.length / rows.length;
                for (int r = 0; r < rows.length; r++) {
                    out[rows[r]] = Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
                }
            }
        }
        return out;
    }

    /**
     * {@code texts} through the embeddings and frozen layers of {@code role}'s tower, in
     * length-sorted batches of {@code batchSize}; {@code progress} hears how many are done.
     * Needs {@link BertTower#freezeBottom} to have been called.
     */
    public FrozenLayerOutputs belowTrainable(List<String> texts, TextRole role, int batchSize, IntConsumer progress) {
        BertTower tower = tower(role);
        Encoding[] encodings = tokenizer(role).encode(prefixed(texts, role));
        List<FrozenLayerOutputs.Batch> batches = new java.util.ArrayList<>();
        int done = 0;
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, batchSize)) {
            TokenBatch batch = TokenBatch.pad(encodings, rows);
            try (NDManager scope = manager.newSubManager()) {
                NDArray ids = scope.create(batch.inputIds(), new Shape(batch.shape()));
                NDArray mask = scope.create(batch.attentionMask(), new Shape(batch.shape()));
                NDArray types = scope.create(batch.tokenTypeIds(), new Shape(batch.shape()));
                NDArray hidden = tower.belowTrainable(store, ids, mask, types);
                batches.add(new FrozenLayerOutputs.Batch(rows, batch.cols(), (int) hidden.getShape().get(2), hidden.toFloatArray(),
                    batch.attentionMask()));
            }
            done += rows.length;
            progress.accept(done);
        }
        return new FrozenLayerOutputs(role, tower.frozenLayers(), tower.frozenChecksum(), texts.size(), List.copyOf(batches));
    }

    /**
     * The vectors of the texts in {@code outputs}, in their input order, running only the
     * trainable layers; equal to {@link #encode(List, TextRole, int)} while
     * {@link FrozenLayerOutputs#validFor} holds.
     */
    public float[][] encode(FrozenLayerOutputs outputs, IntConsumer progress) {
        if (!outputs.validFor(this)) {
            throw new IllegalStateException("the frozen layers changed since these outputs were made");
        }
        BertTower tower = tower(outputs.role());
        float[][] out = new float[outputs.texts()][];
        int done = 0;
        for (FrozenLayerOutputs.Batch b : outputs.batches()) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray mask = scope.create(b.mask(), new Shape(b.rows().length, b.tokens()));
                NDArray below = scope.create(b.hidden(), new Shape(b.rows().length, b.tokens(), b.hiddenSize()));
                NDArray pooled = pool(tower.fromTrainable(store, below, mask), mask, manifest.pooling());
                float[] flat = (manifest.normalize() ? pooled.div(pooled.norm(new int[] {1}, true)) : pooled).toFloatArray();
                int dim = flat.length / b.rows().length;
                for (int r = 0; r < b.rows().length; r++) {
                    out[b.rows()[r]] = Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
                }
            }
            done += b.rows().length;
            progress.accept(done);
        }
        return out;
    }

    TokenBatch tokenize(List<String> texts, TextRole role, int[] rows) {
        return TokenBatch.pad(tokenizer(role).encode(prefixed(texts, role)), rows);
    }

    private List<String> prefixed(List<String> texts, TextRole role) {
        String prefix = role.prefix(manifest);
        return texts.stream().map(t -> prefix + t).toList();
    }

    private TextTokenizer tokenizer(TextRole role) {
        return role == TextRole.QUERY ? queryTokenizer : passageTokenizer;
    }

    /** The tower that encodes {@code role}'s texts (the same one for both roles unless the towers are separate). */
    public BertTower tower(TextRole role) {
        return role == TextRole.QUERY ? queryTower : passageTower;
    }

    /** Every distinct tower: one when shared, the passage tower then the query tower when separate. */
    public List<BertTower> towers() {
        return separateTowers() ? List.of(passageTower, queryTower) : List.of(passageTower);
    }

    public boolean separateTowers() {
        return queryTower != passageTower;
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public Path folder() {
        return folder;
    }

    /** The manager that owns the parameters; scopes for a step are its sub-managers. */
    public NDManager manager() {
        return manager;
    }

    public ParameterStore parameterStore() {
        return store;
    }

    @Override
    public void close() {
        try {
            queryTokenizer.close();
            passageTokenizer.close();
        } finally {
            manager.close();
        }
    }
}
