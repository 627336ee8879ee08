package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guards between Java text and the native tokenizer. A failure here that is not an assertion
 * but a dead test JVM ("fatal runtime error: failed to initiate panic") means text or a tokenizer
 * file reached a native error path the guards should have stopped.
 */
class TextTokenizerTests {

    static final Path BGE_TOKENIZER = TextEncoderTests.BGE.resolve(TextEncoder.TOKENIZER_FILE);

    private static TextTokenizer tokenizer;

    @BeforeAll
    static void open() {
        tokenizer = TextTokenizer.open(BGE_TOKENIZER, 512);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static long[] ids(String text) {
        return tokenizer.encode(List.of(text))[0].getIds();
    }

    @Test
    void loneSurrogateDoesNotDropTheTextsOtherCharacters() {
        // Without the guard the binding decodes the whole text lossily and the emoji's [UNK] vanishes.
        long[] clean = ids("DNA \uD83E\uDDEC repair");
        assertTrue(Arrays.stream(clean).anyMatch(id -> id == 100), "the emoji is [UNK] (100) in bge's vocabulary");
        assertArrayEquals(clean, ids("DNA \uD83E\uDDEC repair \uD800"));
        assertArrayEquals(clean, ids("\uDC00DNA \uD83E\uDDEC repair"));
        assertArrayEquals(clean, ids("DNA \uD83E\uDDEC repair \uFFFD"));
    }

    @Test
    void unpairedSurrogatesBecomeReplacementCharactersAndPairsStay() {
        assertEquals("a\uFFFDb", TextTokenizer.wellFormed("a\uD800b"));
        assertEquals("a\uFFFDb", TextTokenizer.wellFormed("a\uDC00b"));
        assertEquals("\uFFFD\uD83E\uDDEC\uFFFD", TextTokenizer.wellFormed("\uD800\uD83E\uDDEC\uDFFF"));
        assertEquals("\uFFFD\uFFFD", TextTokenizer.wellFormed("\uDC00\uD800"));
        assertEquals("end\uFFFD", TextTokenizer.wellFormed("end\uD83E"));
        String fine = "no surrogates here \uD83E\uDDEC";
        assertSame(fine, TextTokenizer.wellFormed(fine), "well-formed text is passed through without a copy");
    }

    @Test
    void cutKeepsPairsWholeAndNeverLeavesALoneSurrogate() {
        Random random = new Random(7);
        char[] alphabet = {'a', ' ', '\uD83E', '\uDDEC', '\uD800', '\uDC00', '\u0301'};
        for (int round = 0; round < 2_000; round++) {
            StringBuilder b = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int i = 0; i < length; i++) {
                b.append(random.nextBoolean() ? "\uD83E\uDDEC" : String.valueOf(alphabet[random.nextInt(alphabet.length)]));
            }
            String text = b.toString();
            int max = 1 + random.nextInt(text.length());
            String cut = TextTokenizer.cut(text, max);
            assertTrue(cut.length() <= max && text.startsWith(cut), "cut must be a prefix of at most " + max + " chars");
            assertTrue(cut.length() >= max - 1, "cut drops at most the half of a pair");
            String sent = TextTokenizer.wellFormed(cut);
            assertFalse(hasUnpairedSurrogate(sent), "lone surrogate left in " + escape(sent));
            if (!hasUnpairedSurrogate(text)) {
                assertSame(cut, sent, "cutting well-formed text must not create a lone surrogate: " + escape(cut));
            }
        }
    }

    @Test
    void oneMegabyteOfAnyOneCharacterIsCutAndTokenized() {
        for (String unit : List.of("a", "\uD83E\uDDEC", "\uD800", "\uDC00", "\u0301", "\u0000", "\u4E2D")) {
            String text = unit.repeat((1 << 20) / unit.length());
            Encoding e = tokenizer.encode(List.of(text))[0];
            assertTrue(e.getIds().length >= 2 && e.getIds().length <= 512, escape(unit) + " gave " + e.getIds().length + " tokens");
        }
    }

    @Test
    void nullTextIsRejectedByPositionBeforeNativeCode() {
        // Passed through, a null aborts the JVM in the binding ("Couldn't get java string!: NullPtr").
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> tokenizer.encode(Arrays.asList("fine", null)));
        assertTrue(e.getMessage().contains("position [1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encodePairs(List.of("q"), Arrays.asList((String) null)));
    }

    @Test
    void tokenizerFileOverTheSizeLimitIsRefused(@TempDir Path dir) throws IOException {
        Path big = dir.resolve(TextEncoder.TOKENIZER_FILE);
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(TextTokenizer.MAX_FILE_BYTES + 1);
        }
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextTokenizer.open(big, 512));
        assertTrue(e.getMessage().contains(big.toString()) && e.getMessage().contains("64 MiB"), e.getMessage());
    }

    @Test
    void maxLengthAboveTheLimitIsRefused() {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextTokenizer.open(BGE_TOKENIZER, 8193));
        assertTrue(e.getMessage().contains("8193") && e.getMessage().contains("8192"), e.getMessage());
    }

    @Test
    void wordPieceWithoutItsUnknownTokenIsRefusedAtLoad(@TempDir Path dir) throws IOException {
        // The same file with [model.unk_token] missing from the vocabulary aborts the JVM on the
        // first emoji: "called `Result::unwrap()` on an `Err` value: MissingUnkToken".
        JsonObject json = JsonParser.parseString(Files.readString(BGE_TOKENIZER)).getAsJsonObject();
        json.getAsJsonObject("model").addProperty("unk_token", "[NOPE]");
        Path file = write(dir, json.toString());
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextTokenizer.open(file, 128));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("[NOPE]"), e.getMessage());
    }

    @Test
    void wordLevelAndBpeUnknownTokensMustBeInTheVocabulary(@TempDir Path dir) throws IOException {
        assertRefused(dir, "{\"type\":\"WordLevel\",\"vocab\":{\"a\":0,\"b\":1},\"unk_token\":\"[UNK]\"}", "WordLevel");
        assertRefused(dir, bpe("\"<unk>\""), "BPE");
        // BPE without an unknown token drops unknown characters: allowed, and it does not fail on them.
        try (TextTokenizer dropping = TextTokenizer.open(write(dir, tokenizerJson(bpe("null"))), 16)) {
            assertArrayEquals(new String[] {"ab"}, dropping.encode(List.of("ab \uD83E\uDDEC"))[0].getTokens());
        }
        try (TextTokenizer known = TextTokenizer.open(write(dir, tokenizerJson(bpe("\"<unk>\"").replace("\"a\":0", "\"<unk>\":3,\"a\":0"))), 16)) {
            assertArrayEquals(new String[] {"ab", "<unk>"}, known.encode(List.of("ab \uD83E\uDDEC"))[0].getTokens());
        }
    }

    @Test
    void unigramWithoutUnknownIdIsRefused(@TempDir Path dir) throws IOException {
        assertRefused(dir, "{\"type\":\"Unigram\",\"unk_id\":null,\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}", "unk_id");
        String withUnk = "{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"<unk>\",0.0],[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}";
        try (TextTokenizer unigram = TextTokenizer.open(write(dir, tokenizerJson(withUnk)), 16)) {
            // The unknown character gets unk_id 0.
            assertArrayEquals(new long[] {1, 2, 0}, unigram.encode(List.of("ab \uD83E\uDDEC"))[0].getIds());
        }
    }

    @Test
    void notATokenizerIsRefusedWithTheFileName(@TempDir Path dir) throws IOException {
        for (String content : List.of("not json at all", "{\"model\": 5}", "[1, 2]", "{\"model\": {\"type\": \"WordPiece\"")) {
            Path file = write(dir, content);
            InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextTokenizer.open(file, 16), content);
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    private static String bpe(String unkToken) {
        return "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":" + unkToken + ",\"continuing_subword_prefix\":null,"
            + "\"end_of_word_suffix\":null,\"fuse_unk\":false,\"byte_fallback\":false,"
            + "\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}";
    }

    /** A whole tokenizer.json around {@code model}: whitespace pre-tokenizer, nothing else. */
    private static String tokenizerJson(String model) {
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
            + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,\"model\":" + model + "}";
    }

    private static void assertRefused(Path dir, String model, String expected) throws IOException {
        Path file = write(dir, tokenizerJson(model));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextTokenizer.open(file, 16));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(file.toString()), e.getMessage());
    }

    private static Path write(Path dir, String content) throws IOException {
        Path file = Files.createTempFile(dir, "tokenizer", ".json");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().limit(60).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04X", c)));
        return b.toString();
    }
}
