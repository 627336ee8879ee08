package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

/**
 * LayerNorm over the hidden axis with pretrained scale and shift. DJL's own {@link LayerNorm}
 * block sizes its parameters from the first input it sees; this one takes them from the graph.
 */
final class LayerNormBlock extends PretrainedBlock {

    private final Parameter gamma;
    private final Parameter beta;
    private final Shape normalized;
    private final float epsilon;

    LayerNormBlock(NDManager manager, FloatTensor gamma, FloatTensor beta, float epsilon) {
        this.gamma = pretrained(manager, "gamma", Parameter.Type.GAMMA, gamma);
        this.beta = pretrained(manager, "beta", Parameter.Type.BETA, beta);
        this.normalized = new Shape(gamma.dims());
        this.epsilon = epsilon;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return LayerNorm.layerNorm(x, normalized, store.getValue(gamma, x.getDevice(), training),
            store.getValue(beta, x.getDevice(), training), epsilon);
    }
}
