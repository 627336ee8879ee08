package io.github.denseretrieval.encoder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile and random Unicode through the real bundled models. The tokenizer is native code in the
 * test JVM (as it is in an Elasticsearch node): if a text reaches an error path there, the forked
 * JVM aborts and the build fails, which is this test's loudest signal. Otherwise every text must
 * give a finite unit vector of the model's dimension, and only null or blank text may be refused.
 * Fixed seed; a few seconds a model.
 */
class TextEncoderFuzzTests {

    private static final long SEED = 20240531L;

    private static final Map<String, TextEncoder> ENCODERS = new HashMap<>();

    @BeforeAll
    static void open() {
        for (String model : List.of("all-minilm-l6-v2", "bge-small-en-v1.5")) {
            // The token budget keeps the few 512-token texts from padding a batch of 16 to 512 (seconds of CPU).
            EncoderOptions options = EncoderOptions.defaults().withBatchSize(16).withMaxBatchTokens(2048);
            ENCODERS.put(model, TextEncoder.open(TextEncoderTests.MODELS.resolve(model), options));
        }
    }

    @AfterAll
    static void close() {
        ENCODERS.values().forEach(TextEncoder::close);
    }

    /** Texts a user (or an attacker) can put in a document field or a query. */
    static List<String> hostileTexts() {
        List<String> texts = new ArrayList<>(List.of(
            "lone high \uD800 surrogate", "lone low \uDC00 surrogate", "\uD800", "\uDFFF", "\uDBFF\uDBFF\uDC00\uDC00",
            "ends with a high surrogate \uD83E", "\uDE00 starts with a low surrogate",
            "NUL \u0000 in the middle", "\u0000", "\u0001\u0002\u0003\u0007\u0008\u001B\u007F\u0085\u009F",
            "\uE000\uF8FF private use \uDB80\uDC00 \uDBFF\uDFFD",
            "\u202E reversed \u202C \u2067 isolate \u2069 \u200F\u200E\u061C",
            "a" + "\u0301\u0300\u0308".repeat(700), "\u0301".repeat(3000),
            "\u200B\u200C\u200D\u2060\uFEFF", "zero\u200Bwidth\u200Djoiner",
            "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67\u200D\uD83D\uDC66 family \uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08 \uD83E\uDDEC",
            "\uD835\uDD38\uD835\uDD39 \uD840\uDC00\uD869\uDEDF \uD800\uDF00 \uD83C\uDC04",
            "[CLS] [SEP] [PAD] [MASK]", "[PAD]", "[PAD] [PAD] [PAD] [PAD]", "[SEP][SEP][SEP]", "[UNK] [MASK] <s> </s> <pad>",
            "中文检索 العربية हिन्दी ภาษาไทย русский ελληνικά 한국어 mixed",
            "﷽ \u0BF5 \u0E3F \u2028 line\u2029separator",
            "\uFFFD\uFFFE\uFFFF \uFDD0", "\t\u000B\u000C\u001C text after separators"));
        // About 1 MB of one character each: cut before tokenization, never a lone surrogate after the cut.
        for (String unit : List.of("a", "\uD83E\uDDEC", "\uD800", "\u0301", "\u4E2D", "\u0000", "a ")) {
            texts.add(unit.repeat((1 << 20) / unit.length()));
        }
        return texts;
    }

    /** Random texts: code points from every plane (including unassigned), unpaired surrogates, controls, words. */
    static List<String> randomTexts(Random random, int count) {
        int[][] ranges = {
            {0x0000, 0x001F}, {0x0020, 0x007E}, {0x0080, 0x024F}, {0x0300, 0x036F}, {0x0370, 0x03FF},
            {0x0400, 0x04FF}, {0x0590, 0x06FF}, {0x0900, 0x097F}, {0x0E00, 0x0E7F}, {0x1100, 0x11FF},
            {0x2000, 0x206F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xD800, 0xDFFF},
            {0xE000, 0xF8FF}, {0xFE00, 0xFFFF}, {0x10000, 0x1FFFF}, {0x1F300, 0x1FAFF}, {0x20000, 0x10FFFF}};
        List<String> texts = new ArrayList<>(count);
        for (int t = 0; t < count; t++) {
            StringBuilder b = new StringBuilder();
            int length = random.nextInt(25) == 0 ? 200 + random.nextInt(300) : random.nextInt(60);
            while (b.length() < length) {
                if (random.nextInt(6) == 0) {
                    b.append(' ');
                    continue;
                }
                int[] range = ranges[random.nextInt(ranges.length)];
                int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    b.append((char) cp);
                } else {
                    b.appendCodePoint(cp);
                }
            }
            texts.add(b.toString());
        }
        return texts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void hostileAndRandomTextGivesFiniteUnitVectors(String model) {
        TextEncoder encoder = ENCODERS.get(model);
        {
            List<String> texts = new ArrayList<>(hostileTexts());
            texts.addAll(randomTexts(new Random(SEED), 120));
            List<String> encodable = new ArrayList<>();
            for (String text : texts) {
                if (text.isBlank()) {
                    assertThrows(IllegalArgumentException.class, () -> encoder.encodePassages(List.of(text)));
                } else {
                    encodable.add(text);
                }
            }
            // All as passages in one call (length-sorted batches mixing hostile and random text), and
            // the short hostile ones again as queries one by one (batches of one, with the query prefix).
            float[][] passages = encoder.encodePassages(encodable);
            for (int i = 0; i < encodable.size(); i++) {
                assertUsable(encoder, passages[i], encodable.get(i));
            }
            for (String text : hostileTexts()) {
                if (!text.isBlank() && text.length() < 1_000) {
                    assertUsable(encoder, encoder.encodeQuery(text), text);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void aLoneSurrogateDoesNotChangeTheRestOfTheText(String model) {
        TextEncoder encoder = ENCODERS.get(model);
        {
            // Before the guard, the native side decoded such a text lossily and dropped the emoji too.
            float[][] v = encoder.encodePassages(List.of("DNA \uD83E\uDDEC repair", "DNA \uD83E\uDDEC repair \uD800", "DNA \uD83E\uDDEC repair \uFFFD"));
            assertArrayEquals(v[0], v[1], 1e-5f);
            assertArrayEquals(v[2], v[1], 1e-5f);
        }
    }

    private static void assertUsable(TextEncoder encoder, float[] v, String text) {
        assertEquals(encoder.dimensions(), v.length, "dimension for " + TextTokenizerTests.escape(text));
        double norm = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                fail("non-finite component for " + TextTokenizerTests.escape(text));
            }
            norm += (double) x * x;
        }
        if (encoder.manifest().normalize()) {
            assertEquals(1.0, Math.sqrt(norm), 1e-3, "unit length for " + TextTokenizerTests.escape(text));
        } else {
            assertTrue(norm > 0, "zero vector for " + TextTokenizerTests.escape(text));
        }
    }
}
