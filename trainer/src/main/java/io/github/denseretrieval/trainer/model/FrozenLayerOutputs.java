package io.github.denseretrieval.trainer.model;

import io.github.denseretrieval.encoder.TextRole;

import java.util.List;

/**
 * Texts run through a tower's embeddings and frozen layers, kept on the Java heap: training
 * changes only the layers above, so re-encoding the same texts after an update needs only those
 * ({@link TrainableEncoder#encode(FrozenLayerOutputs)}). With 8 of bge-small's 12 layers frozen
 * that is a third of the work. Memory: {@code texts x tokens x hidden} floats (SciFact's 5,183
 * passages at 128 tokens: about 1 GB). Valid while the frozen weights are those it was made with
 * ({@link #validFor}). Immutable.
 *
 * @param role     which tower made it
 * @param frozen   how many layers were frozen
 * @param checksum {@link BertTower#frozenChecksum()} when it was made
 * @param texts    how many texts
 * @param batches  the length-sorted batches, each with the input rows it holds
 */
public record FrozenLayerOutputs(TextRole role, int frozen, double checksum, int texts, List<Batch> batches) {

    /**
     * One batch: {@code hidden} is {@code [rows, tokens, hiddenSize]} flattened, {@code mask}
     * the attention mask {@code [rows, tokens]}.
     */
    public record Batch(int[] rows, int tokens, int hiddenSize, float[] hidden, long[] mask) {}

    /** Whether {@code encoder}'s tower for {@link #role} still has the frozen weights these outputs came from. */
    public boolean validFor(TrainableEncoder encoder) {
        BertTower tower = encoder.tower(role);
        return tower.frozenLayers() == frozen && tower.frozenChecksum() == checksum;
    }
}
