package io.github.denseretrieval.trainer.model;

import io.github.denseretrieval.encoder.TextRole;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Each training text's hidden states below its tower's first trainable layer, kept on the Java
 * heap between updates and epochs. Training never changes the embeddings and frozen layers, so a
 * text seen again (the next epoch, a passage that is one question's positive and another's
 * negative, the gradient cache's second pass over a chunk) needs only the trainable layers: with 8
 * of bge-small's 12 layers frozen, a third of the forward work.
 *
 * <p>Kept per text, unlike {@link FrozenLayerOutputs}' fixed batches, because training reshuffles
 * its batches every epoch: only a text's real tokens are kept (no padding), and each batch is
 * padded again from them with its attention mask. The hidden states of real tokens do not depend
 * on padding (padded keys are masked out of attention, pooling ignores them), so the vectors are
 * the full pass's up to float rounding.
 *
 * <p>Keyed by role and text: the roles differ in prefix and truncation length, and with separate
 * towers in tower. Valid for the frozen weights and truncation lengths {@link #validate} last saw;
 * it empties a role whose tower's frozen weights ({@link BertTower#frozenChecksum()}) or whose
 * truncation length changed. Memory: {@code tokens x hidden x 4} bytes per text (bge-small, a
 * 128-token passage: 192 KiB; SciFact's 5,183 passages about 1 GB). Float32 on purpose: half
 * precision would halve that but move the hidden states by about 1e-3, above the 1e-4 the cached
 * vectors must stay within. Past {@code maxBytes} new texts are not kept (they run the frozen
 * layers every time, as without the cache). Not thread-safe: training is one thread.
 */
public final class FrozenLayerCache {

    /**
     * What the cache holds and did: {@code hits} texts taken from it, {@code misses} run through
     * the frozen layers, {@code notKept} of those not kept because the cache was full.
     */
    public record Stats(int texts, long bytes, long hits, long misses, long notKept) {

        public double megabytes() {
            return bytes / (1024.0 * 1024.0);
        }
    }

    /** What a role's kept states were computed with. */
    private record Stamp(int frozenLayers, double checksum, int maxLength) {}

    private static final class Shelf {
        Stamp stamp;
        final Map<String, float[]> states = new HashMap<>();
    }

    private final long maxBytes;
    private final Map<TextRole, Shelf> shelves = new EnumMap<>(TextRole.class);
    private long bytes;
    private long hits;
    private long misses;
    private long notKept;

    /** @param maxBytes heap the kept states may take; texts beyond it are computed every time */
    public FrozenLayerCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("frozen cache size must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Checks the kept states against {@code encoder}: a role whose tower's frozen weights or
     * truncation length differ from those its states were made with is emptied. Needed before
     * the cache serves an encoder, and again whenever the frozen weights may have changed (the
     * checksum reads every frozen weight, so it is not done per batch).
     */
    public void validate(TrainableEncoder encoder) {
        Map<BertTower, Double> checksums = new IdentityHashMap<>();
        for (TextRole role : TextRole.values()) {
            BertTower tower = encoder.tower(role);
            if (tower.frozenLayers() < 0) {
                throw new IllegalStateException("nothing is frozen: the frozen-layer cache has nothing to keep");
            }
            Stamp now = new Stamp(tower.frozenLayers(), checksums.computeIfAbsent(tower, BertTower::frozenChecksum), encoder.maxLength(role));
            Shelf shelf = shelves.computeIfAbsent(role, r -> new Shelf());
            if (!now.equals(shelf.stamp)) {
                drop(shelf);
                shelf.stamp = now;
            }
        }
    }

    /** The kept states of {@code text} ({@code [tokens x hidden]} flattened), or null; counts a hit or a miss. */
    float[] get(TrainableEncoder encoder, TextRole role, String text) {
        float[] states = shelf(encoder, role).states.get(text);
        if (states == null) {
            misses++;
        } else {
            hits++;
        }
        return states;
    }

    /** Keeps {@code states} for {@code text} unless that would pass the size limit. */
    void put(TrainableEncoder encoder, TextRole role, String text, float[] states) {
        Shelf shelf = shelf(encoder, role);
        long size = (long) states.length * Float.BYTES;
        if (shelf.states.containsKey(text)) {
            return;
        }
        if (bytes + size > maxBytes) {
            notKept++;
            return;
        }
        shelf.states.put(text, states);
        bytes += size;
    }

    /** The role's shelf, refused if {@link #validate} has not stamped it for what {@code encoder} now runs. */
    private Shelf shelf(TrainableEncoder encoder, TextRole role) {
        Shelf shelf = shelves.get(role);
        // The cheap half of the stamp, per call; the checksum is validate's job.
        if (shelf == null || shelf.stamp == null || shelf.stamp.frozenLayers() != encoder.tower(role).frozenLayers()
            || shelf.stamp.maxLength() != encoder.maxLength(role)) {
            throw new IllegalStateException("the frozen-layer cache was not validated against this encoder's " + role
                + " frozen layers and truncation length");
        }
        return shelf;
    }

    private void drop(Shelf shelf) {
        for (float[] states : shelf.states.values()) {
            bytes -= (long) states.length * Float.BYTES;
        }
        shelf.states.clear();
    }

    public Stats stats() {
        int texts = shelves.values().stream().mapToInt(s -> s.states.size()).sum();
        return new Stats(texts, bytes, hits, misses, notKept);
    }
}
