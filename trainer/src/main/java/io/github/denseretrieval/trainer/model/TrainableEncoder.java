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
    private final int queryMaxLength;
    private final int passageMaxLength;

    private TrainableEncoder(Path folder, ModelManifest manifest, NDManager manager, BertTower queryTower, BertTower passageTower,
                             TextTokenizer queryTokenizer, TextTokenizer passageTokenizer, int queryMaxLength, int passageMaxLength) {
        this.folder = folder;
        this.manifest = manifest;
        this.manager = manager;
        this.queryTower = queryTower;
        this.passageTower = passageTower;
        this.store = new ParameterStore(manager, false);
        this.queryMaxLength = queryMaxLength;
        this.passageMaxLength = passageMaxLength;
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
        int queryLength = Math.min(cap, queryMaxLength);
        int passageLength = Math.min(cap, passageMaxLength);
        return new TrainableEncoder(folder, manifest, manager, queryTower, passageTower, TextTokenizer.open(tokenizerFile, queryLength),
            TextTokenizer.open(tokenizerFile, passageLength), queryLength, passageLength);
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
        return vectors(hidden, mask);
    }

    /**
     * As {@link #embed(NDManager, List, TextRole, boolean)}, the texts' hidden states below the
     * first trainable layer taken from {@code cache} where it has them (and kept there where it
     * has not), so that only the trainable layers run for a text seen before; the graph, with
     * {@code training} and an open gradient collector, covers those layers only, which are all
     * that have gradients. A null {@code cache} is the full pass.
     */
    public NDArray embed(NDManager scope, List<String> texts, TextRole role, boolean training, FrozenLayerCache cache) {
        if (cache == null) {
            return embed(scope, texts, role, training);
        }
        Encoding[] encodings = tokenizer(role).encode(prefixed(texts, role));
        return embedThroughCache(scope, texts, encodings, IntStream.range(0, texts.size()).toArray(), role, training, cache);
    }

    private NDArray embedThroughCache(NDManager scope, List<String> texts, Encoding[] encodings, int[] rows, TextRole role, boolean training,
                                      FrozenLayerCache cache) {
        TokenBatch batch = TokenBatch.pad(encodings, rows);
        NDArray mask = scope.create(batch.attentionMask(), new Shape(batch.shape()));
        NDArray below = frozenStates(scope, texts, encodings, rows, batch.cols(), role, cache);
        return vectors(tower(role).fromTrainable(store, below, mask, training), mask);
    }

    /**
     * {@code [rows, cols, hidden]}: each row's kept states, or for the rows the cache lacks the
     * frozen layers run once over just those (and kept), padded with zeros to {@code cols}.
     * Zeros are not what the frozen layers give padding, but nothing above reads padded states:
     * attention masks them out as keys and pooling ignores their rows.
     */
    private NDArray frozenStates(NDManager scope, List<String> texts, Encoding[] encodings, int[] rows, int cols, TextRole role,
                                 FrozenLayerCache cache) {
        int hiddenSize = tower(role).hiddenSize();
        float[][] states = new float[rows.length][];
        List<Integer> missing = new java.util.ArrayList<>();
        for (int r = 0; r < rows.length; r++) {
            float[] kept = cache.get(this, role, texts.get(rows[r]));
            // A length that does not match the tokens would be another tokenization of the same text: not these states.
            if (kept != null && kept.length == encodings[rows[r]].getIds().length * hiddenSize) {
                states[r] = kept;
            } else {
                missing.add(r);
            }
        }
        if (!missing.isEmpty()) {
            int[] missingRows = missing.stream().mapToInt(r -> rows[r]).toArray();
            TokenBatch batch = TokenBatch.pad(encodings, missingRows);
            try (NDManager frozenScope = scope.newSubManager()) {
                NDArray ids = frozenScope.create(batch.inputIds(), new Shape(batch.shape()));
                NDArray mask = frozenScope.create(batch.attentionMask(), new Shape(batch.shape()));
                NDArray types = frozenScope.create(batch.tokenTypeIds(), new Shape(batch.shape()));
                float[] flat = tower(role).belowTrainable(store, ids, mask, types).toFloatArray();
                for (int m = 0; m < missingRows.length; m++) {
                    int tokens = encodings[missingRows[m]].getIds().length;
                    float[] own = Arrays.copyOfRange(flat, m * batch.cols() * hiddenSize, (m * batch.cols() + tokens) * hiddenSize);
                    states[missing.get(m)] = own;
                    cache.put(this, role, texts.get(missingRows[m]), own);
                }
            }
        }
        float[] padded = new float[rows.length * cols * hiddenSize];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(states[r], 0, padded, r * cols * hiddenSize, states[r].length);
        }
        return scope.create(padded, new Shape(rows.length, cols, hiddenSize));
    }

    /**
     * Runs the frozen layers over those of {@code texts} that {@code cache} lacks, in
     * length-sorted batches of {@code batchSize}, and keeps their states: a cache filled ahead of
     * training, without the trainable layers' work.
     */
    public void keepFrozenStates(List<String> texts, TextRole role, int batchSize, FrozenLayerCache cache) {
        Encoding[] encodings = tokenizer(role).encode(prefixed(texts, role));
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, batchSize)) {
            try (NDManager scope = manager.newSubManager()) {
                frozenStates(scope, texts, encodings, rows, TokenBatch.pad(encodings, rows).cols(), role, cache);
            }
        }
    }

    /** Pooled and, if the model says so, normalised vectors from the last hidden state. */
    private NDArray vectors(NDArray hidden, NDArray mask) {
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
        return encode(texts, role, batchSize, null);
    }

    /** As {@link #encode(List, TextRole, int)}, through {@code cache} as {@link #embed(NDManager, List, TextRole, boolean, FrozenLayerCache)} is. */
    public float[][] encode(List<String> texts, TextRole role, int batchSize, FrozenLayerCache cache) {
        Encoding[] encodings = tokenizer(role).encode(prefixed(texts, role));
        float[][] out = new float[texts.size()][];
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, batchSize)) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray vectors = cache == null ? embed(scope, TokenBatch.pad(encodings, rows), role, false)
                    : embedThroughCache(scope, texts, encodings, rows, role, false, cache);
                float[] flat = vectors.toFloatArray();
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
                float[] flat = vectors(tower.fromTrainable(store, below, mask, false), mask).toFloatArray();
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

    /** The truncation length of {@code role}'s texts, in tokens (special tokens included). */
    public int maxLength(TextRole role) {
        return role == TextRole.QUERY ? queryMaxLength : passageMaxLength;
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
