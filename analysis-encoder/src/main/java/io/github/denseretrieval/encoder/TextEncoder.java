package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns questions and passages into the vectors a dense retrieval model was trained to produce:
 * prefix, tokenize (truncating to {@code max_seq_length}), batch, run the engine, pool, normalise.
 *
 * <p>Opened from a model folder ({@code model.json}, {@code tokenizer.json}, weights; see the
 * module README). Inputs are sorted by token count and cut into batches of
 * {@link EncoderOptions#batchSize()} texts and at most {@link EncoderOptions#maxBatchTokens()}
 * rows x padded length, each padded only to its own longest text, so a mixed batch wastes little
 * compute on padding and a batch of long texts does not grow the engine's memory without bound;
 * results come back in the caller's order.
 *
 * <p>Thread-safe: any number of threads may encode at once (the engines are thread-safe, see
 * {@link InferenceSession}). Close it after the last call; it closes the engine and the tokenizer.
 * {@link #close} is idempotent, and an encode call that starts after it fails with
 * {@link IllegalStateException} instead of reaching freed native memory; closing while a call is
 * still running is the caller's bug (hold a reference count, as the plugin does).
 */
public final class TextEncoder implements Closeable {

    /** The tokenizer file name inside a model folder. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private final Path folder;
    private final ModelManifest manifest;
    private final TextTokenizer tokenizer;
    private final InferenceSession session;
    private final EncoderOptions options;
    private final AtomicBoolean closed = new AtomicBoolean();

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
        // Every check on the folder's files comes before the first native resource is created.
        Path weights = manifest.weightsPath(folder);
        TextTokenizer tokenizer = TextTokenizer.open(folder.resolve(TOKENIZER_FILE), manifest.maxSeqLength());
        InferenceSession session = null;
        try {
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
     *                                  would match arbitrary questions; also if the model's tokenizer
     *                                  makes no token at all of a text (possible only for tokenizers that
     *                                  add no special tokens)
     * @throws IllegalStateException    if the encoder is closed
     */
    public float[][] encode(List<String> texts, TextRole role) {
        return encodeWithCounts(texts, role).vectors();
    }

    /**
     * Like {@link #encode}, and also says how many texts were cut to {@code max_seq_length} and how
     * many forward passes ran, for callers that report them (a node's stats).
     */
    public EncodedTexts encodeWithCounts(List<String> texts, TextRole role) {
        float[][] out = new float[texts.size()][];
        List<TokenBatch> batches = new ArrayList<>();
        List<int[]> positions = new ArrayList<>();
        int truncated = tokenize(texts, role, batches, positions);
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
        return new EncodedTexts(out, truncated, batches.size());
    }

    /**
     * Cuts {@code text} into windows of this model's own tokens (see {@link ChunkingOptions}); each
     * window's text is then encoded as a passage like any other. Only the characters the windows
     * can reach are tokenized, so a huge text costs no more than {@code max_chunks} windows.
     *
     * @throws IllegalArgumentException if the text is null, empty or whitespace only
     */
    public TextChunks chunk(String text, ChunkingOptions options) {
        if (closed.get()) {
            throw new IllegalStateException("encoder for model folder [" + folder + "] is closed");
        }
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("text is null, empty or whitespace only; there is nothing to chunk");
        }
        long reach = (long) options.maxChunks() * options.maxTokens() * TextTokenizer.CHARS_PER_TOKEN_BOUND;
        int maxChars = (int) Math.min(Integer.MAX_VALUE - 8, reach);
        int[][] offsets = tokenizer.tokenOffsets(text, maxChars);
        if (offsets[0].length == 0) {
            throw new IllegalArgumentException("text has no tokens for this model's tokenizer; there is nothing to chunk");
        }
        TextChunks windows = TokenWindows.windows(text, offsets[0], offsets[1], options);
        // A text cut before tokenization went on past what the windows could reach.
        return maxChars < text.length() && windows.capped() == false ? new TextChunks(windows.chunks(), true) : windows;
    }

    /** The model's tokenizer, for tests in this package. */
    TextTokenizer tokenizerForTests() {
        return tokenizer;
    }

    /** Tokenizes and batches {@code texts} exactly as {@link #encode} would (for benchmarks). */
    public List<TokenBatch> tokenize(List<String> texts, TextRole role) {
        List<TokenBatch> batches = new ArrayList<>();
        tokenize(texts, role, batches, new ArrayList<>());
        return batches;
    }

    /** Fills {@code batches} and {@code positions}; returns how many texts were cut to the model's window. */
    private int tokenize(List<String> texts, TextRole role, List<TokenBatch> batches, List<int[]> positions) {
        if (closed.get()) {
            throw new IllegalStateException("encoder for model folder [" + folder + "] is closed");
        }
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
        int truncated = 0;
        for (int i = 0; i < encodings.length; i++) {
            if (encodings[i].exceedMaxLength()) {
                truncated++;
            }
            // ONNX Runtime answers a [rows, 0] batch with [rows, 0, dim] hidden states: CLS pooling
            // would then fail on a token that is not there, and mean pooling would silently return
            // a zero vector.
            if (encodings[i].getIds().length == 0) {
                throw new IllegalArgumentException("text at position [" + i + "] has no tokens for this model's tokenizer; there is nothing to encode");
            }
        }
        for (int[] rows : TokenBatch.lengthSortedRows(encodings, options.batchSize(), options.maxBatchTokens())) {
            batches.add(TokenBatch.pad(encodings, rows));
            positions.add(rows);
        }
        return truncated;
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

    /** Closes the engine and the tokenizer once; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            session.close();
        } finally {
            tokenizer.close();
        }
    }
}
