package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The model's own tokenizer, loaded from its {@code tokenizer.json} with DJL's binding of
 * HuggingFace tokenizers, truncating to the model's {@code max_seq_length} (special tokens
 * included) and never padding: {@link TokenBatch} pads each batch to its own longest text.
 *
 * <p>Texts longer than {@code max_seq_length * 64} characters are cut before tokenization: the
 * tokenizer would otherwise split a 10 MB field completely only to keep its first 512 tokens,
 * and 64 characters a token is far above what any natural text reaches, so the kept tokens are
 * the same. Thread-safe: the native tokenizer is immutable once loaded.
 */
public final class TextTokenizer implements Closeable {

    /** Characters kept per token of {@code max_seq_length} before tokenization (see class doc). */
    static final int CHARS_PER_TOKEN_BOUND = 64;

    private final HuggingFaceTokenizer tokenizer;
    private final int maxChars;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxSeqLength) {
        this.tokenizer = tokenizer;
        this.maxChars = maxSeqLength * CHARS_PER_TOKEN_BOUND;
    }

    /** Loads {@code tokenizerJson}; errors name the file. */
    public static TextTokenizer open(Path tokenizerJson, int maxSeqLength) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new InvalidModelException("tokenizer file not found: " + tokenizerJson);
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optMaxLength(maxSeqLength)
                .optTruncation(true)
                .optPadding(false)
                .optAddSpecialTokens(true)
                .build();
            return new TextTokenizer(tokenizer, maxSeqLength);
        } catch (IOException | RuntimeException e) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** Tokenizes each text (already prefixed); the result has one encoding per text, in order. */
    public Encoding[] encode(List<String> texts) {
        String[] bounded = new String[texts.size()];
        for (int i = 0; i < bounded.length; i++) {
            bounded[i] = bound(texts.get(i));
        }
        return tokenizer.batchEncode(bounded);
    }

    /**
     * Tokenizes text pairs as one sequence each ({@code [CLS] a [SEP] b [SEP]}, token types 0 then
     * 1), truncating the longer side first; a cross-encoder reads questions and passages this way.
     */
    public Encoding[] encodePairs(List<String> first, List<String> second) {
        if (first.size() != second.size()) {
            throw new IllegalArgumentException(first.size() + " first texts but " + second.size() + " second texts");
        }
        PairList<String, String> pairs = new PairList<>(first.size());
        for (int i = 0; i < first.size(); i++) {
            pairs.add(bound(first.get(i)), bound(second.get(i)));
        }
        return tokenizer.batchEncode(pairs);
    }

    private String bound(String text) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        // Never cut a surrogate pair in two: the tokenizer would see an unpaired surrogate.
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
