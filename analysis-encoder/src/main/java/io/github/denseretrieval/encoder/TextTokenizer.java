package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model's own tokenizer, loaded from its {@code tokenizer.json} with DJL's binding of
 * HuggingFace tokenizers, truncating to the model's {@code max_seq_length} (special tokens
 * included) and never padding: {@link TokenBatch} pads each batch to its own longest text.
 *
 * <p>Texts longer than {@code max_seq_length * 64} characters are cut before tokenization: the
 * tokenizer would otherwise split a 10 MB field completely only to keep its first 512 tokens,
 * and 64 characters a token is far above what any natural text reaches, so the kept tokens are
 * the same. Thread-safe: the native tokenizer is immutable once loaded.
 *
 * <p>The native tokenizer runs inside the caller's process, and DJL 0.28's binding unwraps the
 * tokenizer's errors in Rust: an error while encoding is a panic that aborts the whole JVM (seen
 * as {@code called `Result::unwrap()` on an `Err` value: MissingUnkToken ... fatal runtime error:
 * failed to initiate panic}), and so is a null text. So nothing that can fail reaches it:
 * <ul>
 *   <li>{@link #open} refuses tokenizer files larger than {@value #MAX_FILE_BYTES} bytes and
 *       tokenizer models that would fail on an unknown character (an {@code unk_token} missing from
 *       the vocabulary, a Unigram model without {@code unk_id});</li>
 *   <li>{@link #encode} refuses null texts in Java and replaces unpaired UTF-16 surrogates with
 *       U+FFFD. Such a string is not valid (modified) UTF-8; the binding then decodes the whole
 *       text lossily, which silently drops every emoji and other supplementary-plane character of
 *       that text, not just the surrogate.</li>
 * </ul>
 */
public final class TextTokenizer implements Closeable {

    /** Characters kept per token of {@code max_seq_length} before tokenization (see class doc). */
    static final int CHARS_PER_TOKEN_BOUND = 64;

    /** Largest {@code tokenizer.json} accepted (64 MiB): large multilingual vocabularies are under 20 MB. */
    public static final long MAX_FILE_BYTES = 64L << 20;

    private static final char REPLACEMENT_CHARACTER = '\uFFFD';

    private final HuggingFaceTokenizer tokenizer;
    private final int maxChars;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxSeqLength) {
        this.tokenizer = tokenizer;
        this.maxChars = maxSeqLength * CHARS_PER_TOKEN_BOUND;
    }

    /**
     * Loads {@code tokenizerJson}, truncating to {@code maxSeqLength} tokens (1 to
     * {@value ModelManifest#MAX_SEQ_LENGTH}); errors name the file.
     *
     * @throws InvalidModelException if the file is missing, too large, not a tokenizer, or a
     *                               tokenizer that could fail on some text (see class doc)
     */
    public static TextTokenizer open(Path tokenizerJson, int maxSeqLength) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new InvalidModelException("tokenizer file not found: " + tokenizerJson);
        }
        if (maxSeqLength < 1 || maxSeqLength > ModelManifest.MAX_SEQ_LENGTH) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": max length [" + maxSeqLength
                + "] must be in [1, " + ModelManifest.MAX_SEQ_LENGTH + "]");
        }
        try {
            long size = Files.size(tokenizerJson);
            if (size > MAX_FILE_BYTES) {
                throw new InvalidModelException(tokenizerJson + " is " + size + " bytes, larger than the limit of "
                    + MAX_FILE_BYTES + " bytes (64 MiB) for " + TextEncoder.TOKENIZER_FILE);
            }
            checkUnknownTokenHandling(tokenizerJson);
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optMaxLength(maxSeqLength)
                .optTruncation(true)
                .optPadding(false)
                .optAddSpecialTokens(true)
                .build();
            return new TextTokenizer(tokenizer, maxSeqLength);
        } catch (InvalidModelException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses tokenizer models that load but then fail on the first character outside their
     * vocabulary (HuggingFace tokenizers: WordPiece and WordLevel {@code MissingUnkToken}, BPE
     * {@code UnkTokenOutOfVocabulary}, Unigram {@code MissingUnkId}); through DJL that failure
     * aborts the JVM, and any user text can contain such a character.
     */
    private static void checkUnknownTokenHandling(Path tokenizerJson) throws IOException {
        // Streamed rather than parsed into a tree: a vocabulary of 250k entries as a JSON tree would
        // take several times the file's size of heap, on top of the copy DJL reads.
        Map<String, String> model = modelFields(tokenizerJson);
        if (model == null) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": it has no [model] object");
        }
        String type = model.getOrDefault("type", "");
        String unkToken = model.get("unk_token");
        switch (type) {
            case "WordPiece", "WordLevel", "BPE" -> {
                // A BPE model without unk_token drops unknown characters; with one, it must exist.
                boolean required = !type.equals("BPE");
                if ((unkToken != null || required) && (unkToken == null || !vocabularyHas(tokenizerJson, unkToken))) {
                    throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": its " + type
                        + " model's [unk_token] is [" + unkToken + "], which is not in its [vocab], so a text with a "
                        + "character outside the vocabulary could not be tokenized");
                }
            }
            case "Unigram" -> {
                if (model.get("unk_id") == null) {
                    throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": its Unigram model has no "
                        + "[unk_id], so a text with a character outside the vocabulary could not be tokenized");
                }
            }
            default -> {
                // Other types: the native loader accepts or rejects them itself.
            }
        }
    }

    /** The scalar fields of the top-level {@code model} object (null values left out), or null if there is none. */
    private static Map<String, String> modelFields(Path tokenizerJson) throws IOException {
        try (JsonReader json = new JsonReader(Files.newBufferedReader(tokenizerJson, StandardCharsets.UTF_8))) {
            if (!enterModel(json)) {
                return null;
            }
            Map<String, String> fields = new HashMap<>();
            while (json.hasNext()) {
                String name = json.nextName();
                JsonToken token = json.peek();
                if (token == JsonToken.STRING || token == JsonToken.NUMBER || token == JsonToken.BOOLEAN) {
                    fields.put(name, token == JsonToken.BOOLEAN ? Boolean.toString(json.nextBoolean()) : json.nextString());
                } else {
                    json.skipValue();
                }
            }
            return fields;
        } catch (MalformedJsonException | IllegalStateException e) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Whether the {@code model.vocab} object of {@code tokenizerJson} has the key {@code token}. */
    private static boolean vocabularyHas(Path tokenizerJson, String token) throws IOException {
        try (JsonReader json = new JsonReader(Files.newBufferedReader(tokenizerJson, StandardCharsets.UTF_8))) {
            if (!enterModel(json)) {
                return false;
            }
            while (json.hasNext()) {
                if (json.nextName().equals("vocab") && json.peek() == JsonToken.BEGIN_OBJECT) {
                    json.beginObject();
                    while (json.hasNext()) {
                        if (json.nextName().equals(token)) {
                            return true;
                        }
                        json.skipValue();
                    }
                    return false;
                }
                json.skipValue();
            }
            return false;
        } catch (MalformedJsonException | IllegalStateException e) {
            throw new InvalidModelException("cannot load tokenizer " + tokenizerJson + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Positions {@code json} inside the top-level {@code model} object; false if there is none. */
    private static boolean enterModel(JsonReader json) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            return false;
        }
        json.beginObject();
        while (json.hasNext()) {
            if (json.nextName().equals("model") && json.peek() == JsonToken.BEGIN_OBJECT) {
                json.beginObject();
                return true;
            }
            json.skipValue();
        }
        return false;
    }

    /**
     * Tokenizes each text (already prefixed); the result has one encoding per text, in order.
     *
     * @throws IllegalArgumentException if a text is null (naming its position)
     */
    public Encoding[] encode(List<String> texts) {
        String[] bounded = new String[texts.size()];
        for (int i = 0; i < bounded.length; i++) {
            bounded[i] = bound(texts.get(i), i);
        }
        return tokenizer.batchEncode(bounded);
    }

    /**
     * Tokenizes text pairs as one sequence each ({@code [CLS] a [SEP] b [SEP]}, token types 0 then
     * 1), truncating the longer side first; a cross-encoder reads questions and passages this way.
     *
     * @throws IllegalArgumentException if the lists differ in size or a text is null
     */
    public Encoding[] encodePairs(List<String> first, List<String> second) {
        if (first.size() != second.size()) {
            throw new IllegalArgumentException(first.size() + " first texts but " + second.size() + " second texts");
        }
        PairList<String, String> pairs = new PairList<>(first.size());
        for (int i = 0; i < first.size(); i++) {
            pairs.add(bound(first.get(i), i), bound(second.get(i), i));
        }
        return tokenizer.batchEncode(pairs);
    }

    /** {@code text} cut to the character bound and made well-formed UTF-16, ready for the native tokenizer. */
    /**
     * The character offsets of every token of {@code text} (no special tokens, no truncation), for
     * cutting it into windows: {@code [0]} starts, {@code [1]} ends (exclusive), as UTF-16 offsets
     * into {@code text}. Only the first {@code maxChars} characters are tokenized.
     */
    int[][] tokenOffsets(String text, int maxChars) {
        if (text == null) {
            throw new IllegalArgumentException("text is null");
        }
        // Replacing lone surrogates keeps every UTF-16 offset where it was.
        String bounded = wellFormed(cut(text, maxChars));
        Encoding first = tokenizer.encode(bounded, false, true);
        List<Encoding> windows = new java.util.ArrayList<>();
        windows.add(first);
        windows.addAll(List.of(first.getOverflowing()));
        // The native tokenizer counts offsets in Unicode code points; Java strings count UTF-16 units.
        int[] utf16 = new int[bounded.codePointCount(0, bounded.length()) + 1];
        for (int cp = 0, i = 0; i <= bounded.length(); cp++) {
            utf16[cp] = i;
            if (i == bounded.length()) {
                break;
            }
            i += Character.charCount(bounded.codePointAt(i));
        }
        int count = 0;
        for (Encoding e : windows) {
            count += e.getCharTokenSpans().length;
        }
        int[] starts = new int[count];
        int[] ends = new int[count];
        int n = 0;
        for (Encoding e : windows) {
            for (ai.djl.huggingface.tokenizers.jni.CharSpan span : e.getCharTokenSpans()) {
                if (span == null || span.getEnd() <= span.getStart()) {
                    continue;
                }
                starts[n] = utf16[Math.min(span.getStart(), utf16.length - 1)];
                ends[n] = utf16[Math.min(span.getEnd(), utf16.length - 1)];
                n++;
            }
        }
        return new int[][] { java.util.Arrays.copyOf(starts, n), java.util.Arrays.copyOf(ends, n) };
    }

    private String bound(String text, int position) {
        if (text == null) {
            throw new IllegalArgumentException("text at position [" + position + "] is null");
        }
        return wellFormed(cut(text, maxChars));
    }

    /** The first {@code maxChars} characters of {@code text}, one fewer if the cut would split a surrogate pair. */
    static String cut(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        if (Character.isHighSurrogate(text.charAt(end - 1)) && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        return text.substring(0, end);
    }

    /**
     * {@code text} with every unpaired surrogate replaced by U+FFFD (what a UTF-8 encoder writes for
     * it), so the native side receives valid UTF-8; the same instance when there is none.
     */
    static String wellFormed(String text) {
        int n = text.length();
        int first = firstUnpairedSurrogate(text, 0);
        if (first < 0) {
            return text;
        }
        char[] chars = text.toCharArray();
        for (int i = first; i >= 0 && i < n; i = firstUnpairedSurrogate(text, i + 1)) {
            chars[i] = REPLACEMENT_CHARACTER;
        }
        return new String(chars);
    }

    private static int firstUnpairedSurrogate(String text, int from) {
        int n = text.length();
        for (int i = from; i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
