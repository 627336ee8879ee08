package io.github.denseretrieval.encoder;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour of the encoder on the real bundled bge-small-en-v1.5 model (ONNX Runtime). */
class TextEncoderTests {

    static final Path MODELS = Path.of(System.getProperty("models.dir", "target/models"));
    static final Path BGE = MODELS.resolve("bge-small-en-v1.5");

    private static TextEncoder encoder;

    @BeforeAll
    static void open() {
        encoder = TextEncoder.open(BGE, EncoderOptions.defaults().withBatchSize(4));
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void countsTruncatedTextsAndForwardPasses() {
        String longText = "malaria ".repeat(600);
        EncodedTexts counted = encoder.encodeWithCounts(List.of("short claim", longText, "another short claim"), TextRole.PASSAGE);
        assertEquals(3, counted.vectors().length);
        assertEquals(1, counted.truncatedTexts(), "only the 600-word text exceeds 512 tokens");
        assertTrue(counted.forwardPasses() >= 1);
        float[] plain = encoder.encodePassages(List.of(longText))[0];
        assertArrayEquals(plain, counted.vectors()[1], 1e-6f);
    }

    @Test
    void vectorsHaveTheManifestDimensionsAndUnitLength() {
        float[] v = encoder.encodeQuery("What causes malaria?");
        assertEquals(384, v.length);
        assertEquals(1.0, dot(v, v), 1e-5);
    }

    @Test
    void questionIsClosestToTheRelevantPassage() {
        float[] q = encoder.encodeQuery("What parasite causes malaria?");
        float[][] p = encoder.encodePassages(List.of(
            "The stock market fell sharply on Monday after interest rates rose.",
            "Malaria is caused by Plasmodium parasites transmitted by Anopheles mosquitoes.",
            "The recipe calls for two cups of flour and a pinch of salt."));
        assertTrue(dot(q, p[1]) > dot(q, p[0]) + 0.1, "relevant passage should win clearly");
        assertTrue(dot(q, p[1]) > dot(q, p[2]) + 0.1, "relevant passage should win clearly");
    }

    @Test
    void batchingAndPaddingDoNotChangeVectors() {
        List<String> texts = List.of(
            "short",
            "a somewhat longer passage about protein folding in the endoplasmic reticulum of eukaryotic cells",
            "medium length text about vaccines",
            "x",
            "another long passage describing the results of a randomised controlled trial of statins in older adults",
            "tiny");
        float[][] batched = encoder.encodePassages(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = encoder.encodePassages(List.of(texts.get(i)))[0];
            assertArrayEquals(alone, batched[i], 1e-4f, "text " + i + " changed when batched with others");
        }
    }

    @Test
    void queryPrefixIsApplied() {
        float[] asQuery = encoder.encodeQuery("vitamin D and bone density");
        float[] asPassage = encoder.encodePassages(List.of("vitamin D and bone density"))[0];
        assertTrue(dot(asQuery, asPassage) < 0.999, "query and passage encodings of the same text must differ (prefix)");
    }

    @Test
    void emptyAndBlankTextsAreRejectedByPosition() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
            () -> encoder.encodePassages(List.of("fine", "")));
        assertTrue(empty.getMessage().contains("position [1]"), empty.getMessage());
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
            () -> encoder.encodeQuery(" \t\n "));
        assertTrue(blank.getMessage().contains("whitespace"), blank.getMessage());
    }

    @Test
    void veryLongTextIsTruncatedToTheFirstTokens() {
        String head = "Cancer immunotherapy with checkpoint inhibitors improves survival. ".repeat(60);
        String longText = head + "unrelated tail ".repeat(100_000 / 15);
        assertTrue(longText.length() > 100_000);
        float[] truncated = encoder.encodePassages(List.of(longText))[0];
        float[] headOnly = encoder.encodePassages(List.of(head))[0];
        // Both are cut at 512 tokens, which the repeated head alone exceeds.
        assertArrayEquals(headOnly, truncated, 1e-5f);
    }

    @Test
    void nonBmpCharactersAreEncoded() {
        float[] v = encoder.encodeQuery("Does \uD83E\uDDEC DNA \uD835\uDD38 repair need sunlight? 🧪");
        assertEquals(1.0, dot(v, v), 1e-5);
    }

    @Test
    void concurrentCallersGetTheSameVectorsAsSequentialOnes() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            texts.add("passage number " + i + " about topic " + (i * 7 % 5));
        }
        float[][] sequential = encoder.encodePassages(texts);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (String t : texts) {
                futures.add(pool.submit(() -> encoder.encodePassages(List.of(t))[0]));
            }
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(sequential[i], futures.get(i).get(), 1e-4f);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void meanPoolingModelLoadsAndEncodes() {
        try (TextEncoder minilm = TextEncoder.open(MODELS.resolve("all-minilm-l6-v2"))) {
            float[] q = minilm.encodeQuery("How do vaccines work?");
            float[][] p = minilm.encodePassages(List.of("Vaccines train the immune system to recognise pathogens.", "Tax law changed in 2019."));
            assertEquals(384, q.length);
            assertTrue(dot(q, p[0]) > dot(q, p[1]));
        }
    }

    @Test
    void aTinyTokenBudgetSplitsBatchesWithinItAndKeepsTheVectors() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            texts.add("passage " + i + " about " + "cell biology and protein folding ".repeat(i % 6 + 1));
        }
        texts.add("x");
        int budget = 32;
        float[][] unbounded = encoder.encodePassages(texts);
        try (TextEncoder bounded = TextEncoder.open(BGE, EncoderOptions.defaults().withBatchSize(4).withMaxBatchTokens(budget))) {
            List<TokenBatch> batches = bounded.tokenize(texts, TextRole.PASSAGE);
            assertEquals(texts.size(), batches.stream().mapToInt(TokenBatch::rows).sum());
            boolean someTextAlone = false;
            for (TokenBatch b : batches) {
                assertTrue(b.rows() <= 4, "batch of " + b.rows() + " rows exceeds batch_size 4");
                // A text longer than the budget on its own is the one allowed exception.
                assertTrue(b.rows() == 1 || b.rows() * b.cols() <= budget,
                    "batch of " + b.rows() + " x " + b.cols() + " tokens exceeds max_batch_tokens " + budget);
                someTextAlone |= b.rows() == 1 && b.cols() > budget;
            }
            assertTrue(someTextAlone, "the longest texts exceed the budget and must run alone");
            assertTrue(batches.size() > encoder.tokenize(texts, TextRole.PASSAGE).size(), "the budget must split batches further");
            float[][] split = bounded.encodePassages(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(unbounded[i], split[i], 1e-5f, "text " + i + " changed when batches were split by tokens");
            }
        }
    }

    @Test
    void tokenBudgetDefaultsToThirtyTwoTextsOf512TokensForTheFourArgumentConstructor() {
        EncoderOptions options = new EncoderOptions(8, 1, 1, DeviceChoice.CPU);
        assertEquals(16384, options.maxBatchTokens());
        assertTrue(options.cpuMemoryArena());
        assertEquals(100, options.withMaxBatchTokens(100).withBatchSize(3).maxBatchTokens());
        assertThrows(IllegalArgumentException.class, () -> options.withMaxBatchTokens(0));
    }

    @Test
    void memoryArenaCanBeTurnedOffWithoutChangingVectors() {
        List<String> texts = List.of("malaria parasites", "a longer passage about mosquito nets and bed nets in the tropics");
        float[][] withArena = encoder.encodePassages(texts);
        try (TextEncoder noArena = TextEncoder.open(BGE, EncoderOptions.defaults().withCpuMemoryArena(false))) {
            float[][] without = noArena.encodePassages(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(withArena[i], without[i], 1e-5f);
            }
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailCleanly() {
        TextEncoder e = TextEncoder.open(MODELS.resolve("bge-small-en-v1.5-q"), EncoderOptions.defaults().withBatchSize(2));
        assertEquals(384, e.encodeQuery("before close").length);
        e.close();
        e.close();
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> e.encodeQuery("after close"));
        assertTrue(after.getMessage().contains("closed"), after.getMessage());
        e.session().close();
    }

    @Test
    void weightsOutsideTheModelFolderAreRefusedAtOpen(@TempDir Path dir) throws IOException {
        copyModelFolderWithout(dir, "model.onnx");
        Files.createSymbolicLink(dir.resolve("model.onnx"), BGE.resolve("model.onnx").toAbsolutePath());
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("inside the model folder"), e.getMessage());
    }

    @Test
    void textThatTheTokenizerTurnsIntoNoTokensIsRejectedByPosition(@TempDir Path dir) throws IOException {
        // Without a post-processor nothing adds [CLS]/[SEP], and the normalizer drops control characters.
        copyModelFolderWithout(dir, "tokenizer.json");
        JsonObject tokenizer = JsonParser.parseString(Files.readString(BGE.resolve("tokenizer.json"))).getAsJsonObject();
        tokenizer.add("post_processor", JsonNull.INSTANCE);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer.toString());
        try (TextEncoder noSpecialTokens = TextEncoder.open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> noSpecialTokens.encodePassages(List.of("fine", "\u0000\u0001\u200B")));
            assertTrue(e.getMessage().contains("position [1]") && e.getMessage().contains("no tokens"), e.getMessage());
        }
    }

    @Test
    void missingWeightsFileIsReportedWithItsPath(@TempDir Path dir) throws IOException {
        copyModelFolderWithout(dir, "model.onnx");
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("model.onnx"), e.getMessage());
    }

    @Test
    void manifestWithWrongDimensionsIsRejected(@TempDir Path dir) throws IOException {
        copyModelFolderWithout(dir, null);
        String json = Files.readString(dir.resolve("model.json")).replace("\"dimensions\": 384", "\"dimensions\": 768");
        Files.writeString(dir.resolve("model.json"), json);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(e.getMessage().contains("[768]") && e.getMessage().contains("[384]"), e.getMessage());
    }

    @Test
    void corruptOnnxFileIsRejected(@TempDir Path dir) throws IOException {
        copyModelFolderWithout(dir, "model.onnx");
        Files.write(dir.resolve("model.onnx"), "this is not a protobuf".getBytes());
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(e.getMessage().contains("cannot load ONNX model"), e.getMessage());
    }

    @Test
    void missingManifestAndBadManifestFieldsAreNamed(@TempDir Path dir) throws IOException {
        InvalidModelException none = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(none.getMessage().contains("model.json"), none.getMessage());
        copyModelFolderWithout(dir, null);
        Files.writeString(dir.resolve("model.json"), Files.readString(dir.resolve("model.json")).replace("\"cls\"", "\"max\""));
        InvalidModelException bad = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertTrue(bad.getMessage().contains("pooling [max]"), bad.getMessage());
    }

    /**
     * Puts the bundled model's files into {@code dir}, leaving out {@code skip}: {@code model.json}
     * copied (tests edit it), the large files hard-linked where the file system allows (a symbolic
     * link to weights outside the folder is refused, see {@link ModelManifest#weightsPath}).
     */
    static void copyModelFolderWithout(Path dir, String skip) throws IOException {
        copyModelFolderWithout(BGE, dir, skip);
    }

    static void copyModelFolderWithout(Path model, Path dir, String skip) throws IOException {
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            if (f.equals(skip)) {
                continue;
            }
            if (f.equals("model.json")) {
                Files.copy(model.resolve(f), dir.resolve(f));
                continue;
            }
            try {
                Files.createLink(dir.resolve(f), model.resolve(f).toAbsolutePath());
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(model.resolve(f), dir.resolve(f));
            }
        }
    }
}
