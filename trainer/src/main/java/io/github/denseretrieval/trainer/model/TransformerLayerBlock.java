package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.export.BertWeights;

/**
 * One BERT layer as HuggingFace computes it (post-LayerNorm): multi-head self-attention with an
 * additive padding mask, residual + LayerNorm, erf-GELU feed-forward, residual + LayerNorm. No
 * dropout: the gradient cache re-runs each chunk's forward pass and needs it to be deterministic.
 * Inputs: hidden states {@code [batch, tokens, hidden]} and the additive mask {@code [batch, 1, 1, tokens]}.
 */
final class TransformerLayerBlock extends PretrainedBlock {

    private final BertWeights.Config config;
    private final DenseBlock query;
    private final DenseBlock key;
    private final DenseBlock value;
    private final DenseBlock attentionOut;
    private final LayerNormBlock attentionNorm;
    private final DenseBlock intermediate;
    private final DenseBlock output;
    private final LayerNormBlock outputNorm;

    TransformerLayerBlock(NDManager manager, BertWeights.Config config, BertWeights.Layer l) {
        this.config = config;
        float eps = config.layerNormEpsilon();
        this.query = addChildBlock("query", new DenseBlock(manager, l.queryW(), l.queryB()));
        this.key = addChildBlock("key", new DenseBlock(manager, l.keyW(), l.keyB()));
        this.value = addChildBlock("value", new DenseBlock(manager, l.valueW(), l.valueB()));
        this.attentionOut = addChildBlock("attention_output", new DenseBlock(manager, l.attentionOutW(), l.attentionOutB()));
        this.attentionNorm = addChildBlock("attention_norm", new LayerNormBlock(manager, l.attentionNormG(), l.attentionNormB(), eps));
        this.intermediate = addChildBlock("intermediate", new DenseBlock(manager, l.intermediateW(), l.intermediateB()));
        this.output = addChildBlock("output", new DenseBlock(manager, l.outputW(), l.outputB()));
        this.outputNorm = addChildBlock("output_norm", new LayerNormBlock(manager, l.outputNormG(), l.outputNormB(), eps));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray mask = inputs.get(1);
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        Shape heads = new Shape(batch, tokens, config.heads(), config.headDim());
        NDArray q = apply(query, store, x, training).reshape(heads).transpose(0, 2, 1, 3);
        NDArray k = apply(key, store, x, training).reshape(heads).transpose(0, 2, 3, 1);
        NDArray v = apply(value, store, x, training).reshape(heads).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(k).div(GraphScalar.of(q, (float) Math.sqrt(config.headDim()))).add(mask);
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, tokens, config.hidden());
        NDArray attended = apply(attentionNorm, store, apply(attentionOut, store, context, training).add(x), training);
        NDArray ffn = apply(output, store, gelu(apply(intermediate, store, attended, training)), training);
        return new NDList(apply(outputNorm, store, ffn.add(attended), training));
    }

    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, as BERT's {@code hidden_act = "gelu"} and the ONNX graph. */
    private static NDArray gelu(NDArray x) {
        return x.mul(GraphScalar.of(x, 0.5f)).mul(x.div(GraphScalar.of(x, (float) Math.sqrt(2.0))).erf().add(1f));
    }

    private static NDArray apply(PretrainedBlock block, ParameterStore store, NDArray x, boolean training) {
        return block.forward(store, new NDList(x), training).singletonOrThrow();
    }

    void freeze() {
        getParameters().values().forEach(p -> p.freeze(true));
    }
}
