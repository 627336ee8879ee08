package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.denseretrieval.encoder.TextRole;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.github.denseretrieval.trainer.VectorDiff.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-text frozen-layer states, re-padded into whatever batch a text lands in, give the full
 * pass's vectors; and the cache stops serving states once the frozen weights or the truncation
 * length they were made with change.
 */
class FrozenLayerCacheTests {

    private static final Path BASE = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models")).resolve("bge-small-en-v1.5");

    /** Lengths from 5 to over 40 tokens: in one batch most rows are padded, each by a different amount. */
    private static final List<String> TEXTS = List.of(
        "Vitamin D supplementation reduces the risk of fractures in elderly women.",
        "A short one",
        "Aspirin use is associated with lower colorectal cancer incidence in a large cohort followed for twenty years, "
            + "after adjustment for age, sex, smoking, body mass index and family history of the disease.",
        "Statins lower LDL cholesterol.",
        "Measles outbreaks followed drops in MMR vaccination coverage across several European countries and regions.");

    private static final long MB = 1 << 20;

    @Test
    void keptStatesRePaddedGiveTheFullPassVectors() throws IOException {
        try (TrainableEncoder encoder = open(64)) {
            FrozenLayerCache cache = new FrozenLayerCache(64 * MB);
            cache.validate(encoder);
            float[][] full = embed(encoder, TEXTS, null);
            float[][] filling = embed(encoder, TEXTS, cache);
            assertEquals(new FrozenLayerCache.Stats(TEXTS.size(), cache.stats().bytes(), 0, TEXTS.size(), 0), cache.stats());
            float[][] fromCache = embed(encoder, TEXTS, cache);
            assertEquals(TEXTS.size(), cache.stats().hits(), "the second call should take every text from the cache");
            // Real tokens only: 384 floats per token, and far less than five rows padded to the longest.
            long tokens = cache.stats().bytes() / (384 * Float.BYTES);
            assertTrue(tokens < 5L * encoder.manifest().maxSeqLength(), "kept " + tokens + " tokens");

            // The same texts in other batches (other padding, other neighbours), taken from the cache.
            List<String> shortOnes = List.of(TEXTS.get(3), TEXTS.get(1));
            float[][] regrouped = embed(encoder, shortOnes, cache);
            float[][] regroupedFull = embed(encoder, shortOnes, null);
            float[][] sorted = encoder.encode(TEXTS, TextRole.PASSAGE, 2, cache);

            double diff = Math.max(Math.max(maxAbsDiff(filling, full), maxAbsDiff(fromCache, full)),
                Math.max(maxAbsDiff(regrouped, regroupedFull), maxAbsDiff(sorted, full)));
            System.out.printf("frozen-layer cache vs full pass, one padded batch and regrouped: max |diff| %.2e%n", diff);
            assertTrue(diff <= 1e-5, "cached vectors differ from the full pass: " + diff);
            assertEquals(TEXTS.size(), cache.stats().misses(), "regrouping ran the frozen layers again");
        }
    }

    @Test
    void changedFrozenWeightsEmptyTheCache() throws IOException {
        try (TrainableEncoder encoder = open(64)) {
            FrozenLayerCache cache = new FrozenLayerCache(64 * MB);
            cache.validate(encoder);
            embed(encoder, TEXTS, cache);
            assertEquals(TEXTS.size(), cache.stats().texts());

            frozenParameter(encoder.tower(TextRole.PASSAGE)).getArray().addi(0.05f);
            cache.validate(encoder);
            assertEquals(0, cache.stats().texts(), "states of the old frozen weights were kept");
            assertEquals(0, cache.stats().bytes());
            float[][] full = embed(encoder, TEXTS, null);
            double diff = maxAbsDiff(embed(encoder, TEXTS, cache), full);
            assertTrue(diff <= 1e-5, "the cache served stale states: " + diff);
            assertEquals(TEXTS.size() * 2, cache.stats().misses());
        }
    }

    @Test
    void anotherTruncationLengthIsNotServed() throws IOException {
        FrozenLayerCache cache = new FrozenLayerCache(64 * MB);
        try (TrainableEncoder longer = open(64)) {
            cache.validate(longer);
            embed(longer, TEXTS, cache);
        }
        try (TrainableEncoder shorter = open(8)) {
            // Not validated against this encoder's truncation: refused, not silently used.
            assertThrows(IllegalStateException.class, () -> embed(shorter, TEXTS, cache));
            cache.validate(shorter);
            assertEquals(0, cache.stats().texts(), "states of 64-token texts were kept for 8-token ones");
            double diff = maxAbsDiff(embed(shorter, TEXTS, cache), embed(shorter, TEXTS, null));
            assertTrue(diff <= 1e-5, "cached vectors at 8 tokens differ from the full pass: " + diff);
        }
    }

    @Test
    void aFullCacheKeepsNothingMoreButStillEncodes() throws IOException {
        try (TrainableEncoder encoder = open(64)) {
            // Room for the shortest text only ([CLS] a short one [SEP]: 5 tokens x 384 floats, 7.5 KiB).
            FrozenLayerCache cache = new FrozenLayerCache(8 * 1024);
            cache.validate(encoder);
            float[][] full = embed(encoder, TEXTS, null);
            assertTrue(maxAbsDiff(embed(encoder, TEXTS, cache), full) <= 1e-5);
            assertTrue(cache.stats().bytes() <= 8 * 1024);
            assertTrue(cache.stats().notKept() >= TEXTS.size() - 1, "kept past the limit: " + cache.stats());
        }
    }

    private static TrainableEncoder open(int passageMaxLength) throws IOException {
        TrainableEncoder encoder = TrainableEncoder.open(BASE, Device.cpu(), 16, passageMaxLength);
        encoder.towers().forEach(t -> t.freezeBottom(8));
        return encoder;
    }

    /** All of {@code texts} in one padded batch, through {@code cache} (null: the full pass), as training embeds them. */
    private static float[][] embed(TrainableEncoder encoder, List<String> texts, FrozenLayerCache cache) {
        try (NDManager scope = encoder.manager().newSubManager()) {
            float[] flat = encoder.embed(scope, texts, TextRole.PASSAGE, false, cache).toFloatArray();
            int dim = flat.length / texts.size();
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
            }
            return out;
        }
    }

    private static Parameter frozenParameter(BertTower tower) {
        for (Pair<String, Parameter> p : tower.getParameters()) {
            if (!p.getValue().requiresGradient()) {
                return p.getValue();
            }
        }
        throw new AssertionError("no frozen parameter");
    }
}
