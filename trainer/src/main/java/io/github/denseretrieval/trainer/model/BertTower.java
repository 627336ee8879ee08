package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.export.BertWeights;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder built from DJL blocks: embeddings and {@code N} transformer layers, warm-started
 * from an ONNX export's weights. Inputs {@code input_ids, attention_mask, token_type_ids}
 * (int64 {@code [batch, tokens]}); output the last hidden state {@code [batch, tokens, hidden]},
 * the same tensor the ONNX graph returns.
 */
public final class BertTower extends PretrainedBlock {

    private final BertWeights pretrained;
    private final BertEmbeddingBlock embeddings;
    private final List<TransformerLayerBlock> layers = new ArrayList<>();
    private int frozenLayers = -1;

    public BertTower(NDManager manager, BertWeights weights) {
        this.pretrained = weights;
        this.embeddings = addChildBlock("embeddings", new BertEmbeddingBlock(manager, weights));
        for (int i = 0; i < weights.layers().size(); i++) {
            layers.add(addChildBlock("layer_" + i, new TransformerLayerBlock(manager, weights.config(), weights.layers().get(i))));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray mask = inputs.get(1);
        NDArray x = embeddings.forward(store, new NDList(inputs.get(0), inputs.get(2)), training).singletonOrThrow();
        return new NDList(layers(store, x, mask, 0, layers.size(), training));
    }

    /** {@code x} through layers {@code [from, to)}. */
    private NDArray layers(ParameterStore store, NDArray x, NDArray mask, int from, int to, boolean training) {
        // [batch, 1, 1, tokens]: 0 for real tokens, the graph's large negative for padding.
        NDArray additiveMask = mask.toType(DataType.FLOAT32, false).neg().add(1f).mul(pretrained.config().maskValue())
            .reshape(mask.getShape().get(0), 1, 1, mask.getShape().get(1));
        for (TransformerLayerBlock layer : layers.subList(from, to)) {
            x = layer.forward(store, new NDList(x, additiveMask), training).singletonOrThrow();
        }
        return x;
    }

    /**
     * The hidden states {@code [batch, tokens, hidden]} after the embeddings and the frozen layers:
     * what training never changes, so a corpus needs it computed once ({@link #frozenLayers()}
     * must be at least 0).
     */
    public NDArray belowTrainable(ParameterStore store, NDArray ids, NDArray mask, NDArray types) {
        if (frozenLayers < 0) {
            throw new IllegalStateException("nothing is frozen: every layer trains");
        }
        NDArray x = embeddings.forward(store, new NDList(ids, types), false).singletonOrThrow();
        return layers(store, x, mask, 0, frozenLayers, false);
    }

    /**
     * The last hidden state from {@link #belowTrainable}'s output: the trainable layers only
     * ({@code training} as in {@link #forward}; with a gradient collector open, the graph starts
     * at {@code hidden}).
     */
    public NDArray fromTrainable(ParameterStore store, NDArray hidden, NDArray mask, boolean training) {
        return layers(store, hidden, mask, frozenLayers, layers.size(), training);
    }

    /** How many layers {@link #freezeBottom} froze (the embeddings too); -1 when nothing is frozen. */
    public int frozenLayers() {
        return frozenLayers;
    }

    /**
     * A checksum of the frozen weights (embeddings and frozen layers): equal checksums mean a
     * cached {@link #belowTrainable} output still holds. Zero when nothing is frozen.
     */
    public double frozenChecksum() {
        double sum = 0;
        List<ai.djl.nn.Block> frozen = new ArrayList<>();
        if (frozenLayers >= 0) {
            frozen.add(embeddings);
            frozen.addAll(layers.subList(0, frozenLayers));
        }
        for (ai.djl.nn.Block block : frozen) {
            for (ai.djl.nn.Parameter p : block.getParameters().values()) {
                try (NDArray abs = p.getArray().abs(); NDArray total = abs.sum()) {
                    sum = sum * 31 + total.toType(DataType.FLOAT64, false).getDouble();
                }
            }
        }
        return sum;
    }

    /**
     * Freezes the embeddings and the lowest {@code count} layers: no gradients are kept or
     * computed below the first trainable layer, the cheapest way to train on a CPU.
     */
    public void freezeBottom(int count) {
        if (count < 0 || count > layers.size()) {
            throw new IllegalArgumentException("freeze-layers must be between 0 and " + layers.size() + ", got " + count);
        }
        embeddings.freeze();
        for (int i = 0; i < count; i++) {
            layers.get(i).freeze();
        }
        frozenLayers = count;
    }

    public int layerCount() {
        return layers.size();
    }

    public int hiddenSize() {
        return pretrained.config().hidden();
    }

    /** The pretrained encoder with every tensor replaced by its trained value. */
    public BertWeights trainedWeights() {
        Map<String, FloatTensor> trained = new LinkedHashMap<>();
        collectTrained(trained);
        return pretrained.replacing(trained);
    }

    /** Trained tensors by their ONNX initializer names. */
    public Map<String, FloatTensor> trainedTensors() {
        Map<String, FloatTensor> trained = new LinkedHashMap<>();
        collectTrained(trained);
        return trained;
    }
}
