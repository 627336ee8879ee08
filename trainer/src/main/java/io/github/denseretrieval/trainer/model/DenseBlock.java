package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

/** {@code y = x W + b} over the last axis, with {@code W} as the ONNX graph stores it: {@code [in, out]}. */
final class DenseBlock extends PretrainedBlock {

    private final Parameter weight;
    private final Parameter bias;

    DenseBlock(NDManager manager, FloatTensor weight, FloatTensor bias) {
        this.weight = pretrained(manager, "weight", Parameter.Type.WEIGHT, weight);
        this.bias = pretrained(manager, "bias", Parameter.Type.BIAS, bias);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = store.getValue(bias, x.getDevice(), training);
        return new NDList(x.matMul(w).add(b));
    }
}
