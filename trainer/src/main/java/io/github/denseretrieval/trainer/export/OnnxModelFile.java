package io.github.denseretrieval.trainer.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model file that weight conversion needs: the graph's nodes (in file order,
 * which ONNX requires to be topological) and its float initializers, including tensors held by
 * {@code Constant} nodes.
 *
 * <p>Reads the protobuf wire format directly (field numbers from onnx.proto3), because the ONNX
 * project publishes no Java classes for it on Maven Central. External-data tensors (models over
 * 2 GB) are rejected with a clear error: encoder models of the size this project serves never
 * need them. Immutable once read; safe to share between threads.
 */
public final class OnnxModelFile {

    /** A node of the ONNX graph: operator type, name and the value names it reads and writes. */
    public record Node(String opType, String name, List<String> inputs, List<String> outputs) {}

    /** A float32 tensor with its shape, row-major. */
    public record FloatTensor(String name, long[] dims, float[] values) {
        public int rank() {
            return dims.length;
        }

        /** The largest |a - b| over every element of same-named tensors: how far two sets of weights are apart. */
        public static double maxAbsDifference(Map<String, FloatTensor> a, Map<String, FloatTensor> b) {
            if (!a.keySet().equals(b.keySet())) {
                throw new IllegalArgumentException("different tensors: " + a.keySet() + " vs " + b.keySet());
            }
            double max = 0;
            for (Map.Entry<String, FloatTensor> e : a.entrySet()) {
                float[] x = e.getValue().values();
                float[] y = b.get(e.getKey()).values();
                if (x.length != y.length) {
                    throw new IllegalArgumentException("tensor [" + e.getKey() + "] has " + x.length + " vs " + y.length + " values");
                }
                for (int i = 0; i < x.length; i++) {
                    max = Math.max(max, Math.abs(x[i] - y[i]));
                }
            }
            return max;
        }
    }

    // onnx.proto3 field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTRIBUTE_NAME = 1;
    private static final int ATTRIBUTE_TENSOR = 5;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int DATA_TYPE_FLOAT = 1;

    private final List<Node> nodes;
    private final Map<String, FloatTensor> floatTensors;

    private OnnxModelFile(List<Node> nodes, Map<String, FloatTensor> floatTensors) {
        this.nodes = Collections.unmodifiableList(nodes);
        this.floatTensors = Collections.unmodifiableMap(floatTensors);
    }

    /** Reads {@code file}; fails with an {@link IOException} naming the file if it is not a readable ONNX model. */
    public static OnnxModelFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("ONNX model file not found: " + file);
        }
        byte[] bytes = Files.readAllBytes(file);
        List<Node> nodes = new ArrayList<>();
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        try {
            CodedInputStream model = newStream(bytes, 0, bytes.length);
            boolean sawGraph = false;
            for (int tag = model.readTag(); tag != 0; tag = model.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH) {
                    sawGraph = true;
                    readGraph(model.readByteArray(), nodes, tensors);
                } else {
                    model.skipField(tag);
                }
            }
            if (!sawGraph) {
                throw new IOException("not an ONNX model (no graph): " + file);
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException("not a valid ONNX model file: " + file + " (" + e.getMessage() + ")", e);
        }
        return new OnnxModelFile(nodes, tensors);
    }

    /** Graph nodes in file (topological) order. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Float initializers and {@code Constant} node tensors, by value name, in file order. */
    public Map<String, FloatTensor> floatTensors() {
        return floatTensors;
    }

    /** The float tensor called {@code name}; fails naming it if the model has none. */
    public FloatTensor tensor(String name) {
        FloatTensor t = floatTensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("ONNX model has no float tensor named [" + name + "]");
        }
        return t;
    }

    private static CodedInputStream newStream(byte[] bytes, int offset, int length) {
        CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
        in.setSizeLimit(Integer.MAX_VALUE);
        return in;
    }

    private static void readGraph(byte[] graphBytes, List<Node> nodes, Map<String, FloatTensor> tensors) throws IOException {
        CodedInputStream graph = newStream(graphBytes, 0, graphBytes.length);
        for (int tag = graph.readTag(); tag != 0; tag = graph.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NODE -> readNode(graph.readByteArray(), nodes, tensors);
                case GRAPH_INITIALIZER -> {
                    FloatTensor t = readTensor(graph.readByteArray(), null);
                    if (t != null) {
                        tensors.put(t.name(), t);
                    }
                }
                default -> graph.skipField(tag);
            }
        }
    }

    private static void readNode(byte[] nodeBytes, List<Node> nodes, Map<String, FloatTensor> tensors) throws IOException {
        CodedInputStream node = newStream(nodeBytes, 0, nodeBytes.length);
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        List<byte[]> attributes = new ArrayList<>();
        for (int tag = node.readTag(); tag != 0; tag = node.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(node.readStringRequireUtf8());
                case NODE_OUTPUT -> outputs.add(node.readStringRequireUtf8());
                case NODE_NAME -> name = node.readStringRequireUtf8();
                case NODE_OP_TYPE -> opType = node.readStringRequireUtf8();
                case NODE_ATTRIBUTE -> attributes.add(node.readByteArray());
                default -> node.skipField(tag);
            }
        }
        nodes.add(new Node(opType, name, List.copyOf(inputs), List.copyOf(outputs)));
        if (opType.equals("Constant") && outputs.size() == 1) {
            for (byte[] attribute : attributes) {
                FloatTensor t = readConstantValue(attribute, outputs.get(0));
                if (t != null) {
                    tensors.put(t.name(), t);
                }
            }
        }
    }

    private static FloatTensor readConstantValue(byte[] attributeBytes, String outputName) throws IOException {
        CodedInputStream attribute = newStream(attributeBytes, 0, attributeBytes.length);
        String name = "";
        byte[] tensor = null;
        for (int tag = attribute.readTag(); tag != 0; tag = attribute.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTRIBUTE_NAME -> name = attribute.readStringRequireUtf8();
                case ATTRIBUTE_TENSOR -> tensor = attribute.readByteArray();
                default -> attribute.skipField(tag);
            }
        }
        return name.equals("value") && tensor != null ? readTensor(tensor, outputName) : null;
    }

    /** A serialized TensorProto as a float tensor called {@code name}; null if it is not float. */
    static FloatTensor readTensorBytes(byte[] tensorBytes, String name) throws IOException {
        return readTensor(tensorBytes, name);
    }

    /** Returns null for non-float tensors: integer shape constants are not weights. */
    private static FloatTensor readTensor(byte[] tensorBytes, String nameOverride) throws IOException {
        CodedInputStream tensor = newStream(tensorBytes, 0, tensorBytes.length);
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        List<Float> floatData = new ArrayList<>();
        boolean external = false;
        for (int tag = tensor.readTag(); tag != 0; tag = tensor.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            int wireType = WireFormat.getTagWireType(tag);
            switch (field) {
                case TENSOR_DIMS -> {
                    if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = tensor.pushLimit(tensor.readRawVarint32());
                        while (tensor.getBytesUntilLimit() > 0) {
                            dims.add(tensor.readInt64());
                        }
                        tensor.popLimit(limit);
                    } else {
                        dims.add(tensor.readInt64());
                    }
                }
                case TENSOR_DATA_TYPE -> dataType = tensor.readInt32();
                case TENSOR_NAME -> name = tensor.readStringRequireUtf8();
                case TENSOR_RAW_DATA -> raw = tensor.readByteArray();
                case TENSOR_FLOAT_DATA -> {
                    if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = tensor.pushLimit(tensor.readRawVarint32());
                        while (tensor.getBytesUntilLimit() > 0) {
                            floatData.add(tensor.readFloat());
                        }
                        tensor.popLimit(limit);
                    } else {
                        floatData.add(tensor.readFloat());
                    }
                }
                case TENSOR_DATA_LOCATION -> external = tensor.readInt32() == 1;
                default -> tensor.skipField(tag);
            }
        }
        String tensorName = nameOverride != null ? nameOverride : name;
        if (external) {
            throw new IOException("ONNX tensor [" + tensorName + "] uses external data, which is not supported");
        }
        if (dataType != DATA_TYPE_FLOAT) {
            return null;
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        float[] values;
        if (raw != null) {
            values = new float[raw.length / Float.BYTES];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            values = new float[floatData.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = floatData.get(i);
            }
        }
        return new FloatTensor(tensorName, shape, values);
    }
}
