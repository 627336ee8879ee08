package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DJL block whose parameters start as tensors of a pretrained ONNX graph and are written back
 * under the same tensor names on export, so the trained weights can be put into the original
 * graph unchanged. Parameters keep the ONNX layout ({@code [in, out]} for dense weights): no
 * transposes on the way in or out, so an exported tensor is the trained array bit for bit.
 */
abstract class PretrainedBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Map<Parameter, FloatTensor> sources = new LinkedHashMap<>();

    PretrainedBlock() {
        super(VERSION);
    }

    /** Adds a trainable parameter holding a copy of {@code source}, on {@code manager}'s device. */
    final Parameter pretrained(NDManager manager, String name, Parameter.Type type, FloatTensor source) {
        NDArray array = manager.create(source.values(), new Shape(source.dims()));
        Parameter parameter = addParameter(Parameter.builder().setName(name).setType(type).optArray(array).build());
        sources.put(parameter, source);
        return parameter;
    }

    /** Adds a parameter that has no pretrained counterpart (a new scoring head); not exported. */
    final Parameter fresh(String name, Parameter.Type type, NDArray initial) {
        return addParameter(Parameter.builder().setName(name).setType(type).optArray(initial).build());
    }

    /**
     * Children are built with their arrays already set, so initialization only switches gradients
     * on; the input shapes are not needed to size anything.
     */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " output shapes depend on the batch; run forward instead");
    }

    /** Adds this block's and its children's trained tensors, under their ONNX names, to {@code out}. */
    void collectTrained(Map<String, FloatTensor> out) {
        sources.forEach((parameter, source) ->
            out.put(source.name(), new FloatTensor(source.name(), source.dims(), parameter.getArray().toFloatArray())));
        for (Block child : getChildren().values()) {
            if (child instanceof PretrainedBlock p) {
                p.collectTrained(out);
            }
        }
    }
}
