package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns questions and passages into the vectors a dense retrieval model was trained to produce:
 * prefix, tokenize (truncating to {@code max_seq_length}), batch, run the engine, pool, normalise.
 *
 * <p>Opened from a model folder ({@code model.json}, {@code tokenizer.json}, weights; see the
 * module README). Inputs are sorted by token count and cut into batches of
 * {@link EncoderOptions#batchSize()}, each padded only to its own longest text, so a mixed batch
 * wastes little compute on padding; results come back in the caller's order.
 *
 * <p>Thread-safe: any number of threads may encode at once (the engines are thread-safe, see
 * {@link InferenceSession}). Close it once, after the last call; it closes the engine and the
 * tokenizer.
 */
public final class TextEncoder implements Closeable {

    /** The tokenizer file name inside a model folder. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private final Path folder;
    private final ModelManifest manifest;
    private final TextTokenizer tokenizer;
    private final InferenceSession session;
    private final EncoderOptions options;

    private TextEncoder(Path folder, ModelManifest manifest, TextTokenizer tokenizer, InferenceSession session, EncoderOptions options) {
        this.folder = folder;
        this.manifest = manifest;
        this.tokenizer = tokenizer;
        this.session = session;
        this.options = options;
    }

    /**
     * Opens the model folder {@code folder} and checks that the weights produce vectors of the
     * manifest's {@code dimensions}.
     *
     * @throws InvalidModelException naming the folder and what is wrong with it
     */
    public static TextEncoder open(Path folder, EncoderOptions options) {
        // DJL finds its native libraries through the thread's context class loader. Inside a
        // container that loads this library in a child class loader (an Elasticsearch plugin),
        // that loader is the container's and cannot see them, so use our own while loading.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(TextEncoder.class.getClassLoader());
        try {
            return load(folder, options);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static TextEncoder load(Path folder, EncoderOptions options) {
        ModelManifest manifest = ModelManifest.read(folder);
        TextTokenizer tokenizer = TextTokenizer.open(folder.resolve(TOKENIZER_FILE), manifest.maxSeqLength());
        InferenceSession session = null;
        try {
            Path weights = folder.resolve(manifest.weights());
            session = switch (manifest.engine()) {
                case ONNX -> OnnxRuntimeSession.open(weights, options);
                case TENSORFLOW -> TensorFlowSession.open(weights, options);
            };
            TextEncoder encoder = new TextEncoder(folder, manifest, tokenizer, session, options);
            encoder.checkDimensions();
            return encoder;
        } catch (RuntimeException e) {
            if (session != null) {
                session.close();
            }
            tokenizer.close();
            throw e;
        }
    }

    /** Opens {@code folder} with {@link EncoderOptions#defaults()}. */
    public static TextEncoder open(Path folder) {
        return open(folder, EncoderOptions.defaults());
    }

    private void checkDimensions() {
        TokenBatch probe = tokenize(List.of("dimension check"), TextRole.PASSAGE).get(0);
        int produced = session.run(probe).dim();
        if (produced != manifest.dimensions()) {
            throw new InvalidModelException("model folder [" + folder + "]: model.json says dimensions ["
                + manifest.dimensions() + "] but the weights produce vectors of [" + produced + "]");
        }
    }

    /** The model folder's manifest. */
    public ModelManifest manifest() {
        return manifest;
    }

    /** Vector length. */
    public int dimensions() {
        return manifest.dimensions();
    }

    /** Engine and device, e.g. {@code "onnxruntime 1.20.0 on cpu"}. */
    public String engineDescription() {
        return session.description();
    }

    /** The engine session, for benchmarks that compare against the raw engine. */
    public InferenceSession session() {
        return session;
    }

    /** Encodes one question (with the model's query prefix). */
    public float[] encodeQuery(String query) {
        return encode(List.of(query), TextRole.QUERY)[0];
    }

    /** Encodes questions (with the model's query prefix), in order. */
    public float[][] encodeQueries(List<String> queries) {
        return encode(queries, TextRole.QUERY);
    }

    /** Encodes passages (with the model's passage prefix), in order. */
    public float[][] encodePassages(List<String> passages) {
        return encode(passages, TextRole.PASSAGE);
    }

    /**
     * Encodes {@code texts} in the given role; the result has one vector per text, in order.
     *
     * @throws IllegalArgumentException if a text is null, empty or only whitespace (naming its position):
     *                                  such a text has no meaning to encode, and a silent vector for it
     *                                  would match arbitrary questions
     */
    public float[][] encode(List<String> texts, TextRole role) {
        float[][] out = new float[texts.size()][];
        List<TokenBatch> batches = new ArrayList<>();
        List<int[]> positions = new ArrayList<>();
        tokenize(texts, role, batches, positions);
        for (int b = 0; b < batches.size(); b++) {
            TokenBatch batch = batches.get(b);
            HiddenStates hidden = session.run(batch);
            int[] rows = positions.get(b);
            for (int r = 0; r < rows.length; r++) {
                float[] v = manifest.pooling().pool(hidden, r, batch.attentionMask());
                if (manifest.normalize()) {
                    normalizeInPlace(v);
                }
                out[rows[r]] = v;
            }
        }
        return out;
    }

    /** Tokenizes and batches {@code texts} exactly as {@link #encode} would (for benchmarks). */
    public List<TokenBatch> tokenize(List<String> texts, TextRole role) {
        List<TokenBatch> batches = new ArrayList<>();
        tokenize(texts, role, batches, new ArrayList<>());
        return batches;
    }

    private void tokenize(List<String> texts, TextRole role, List<TokenBatch> batches, List<int[]> positions) {
        String prefix = role.prefix(manifest);
        List<String> prefixed = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null) {
                throw new IllegalArgumentException("text at position [" + i + "] is null");
            }
            if (text.isBlank()) {
                throw new IllegalArgumentException("text at position [" + i + "] is empty or whitespace only; there is nothing to encode");
            }
            prefixed.add(prefix + text);
        }
        Encoding[] encodings = tokenizer.encode(prefixed);
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, options.batchSize())) {
            batches.add(TokenBatch.pad(encodings, rows));
            positions.add(rows);
        }
    }

    /** Scales {@code v} to unit L2 length (a zero vector stays zero). */
    public static void normalizeInPlace(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return;
        }
        float inv = (float) (1.0 / Math.sqrt(sum));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } finally {
            tokenizer.close();
        }
    }
}
