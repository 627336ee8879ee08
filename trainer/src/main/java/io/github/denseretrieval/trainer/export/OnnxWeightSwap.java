package io.github.denseretrieval.trainer.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes a copy of an ONNX model with some float tensors replaced: the graph, its operators,
 * opsets and metadata stay byte for byte what they were, so ONNX Runtime runs the trained model
 * through exactly the computation it ran for the pretrained one. Tensors are matched by the
 * names {@link OnnxModelFile} gives them (initializer names, or a {@code Constant} node's output);
 * replacements keep their shape and are written as little-endian {@code raw_data}.
 */
public final class OnnxWeightSwap {

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTRIBUTE_NAME = 1;
    private static final int ATTRIBUTE_TENSOR = 5;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;

    private final Map<String, FloatTensor> replacements;
    private final Set<String> replaced = new HashSet<>();

    private OnnxWeightSwap(Map<String, FloatTensor> replacements) {
        this.replacements = replacements;
    }

    /**
     * Copies {@code source} to {@code target} with {@code replacements} put in. Fails, naming them,
     * if any replacement has no tensor of that name and shape in the model.
     */
    public static void write(Path source, Path target, Map<String, FloatTensor> replacements) throws IOException {
        OnnxWeightSwap swap = new OnnxWeightSwap(replacements);
        byte[] model = Files.readAllBytes(source);
        byte[] out = swap.rewrite(model, (field, bytes, ignored) -> field == MODEL_GRAPH ? swap.graph(bytes) : null);
        Set<String> missing = new TreeSet<>(replacements.keySet());
        missing.removeAll(swap.replaced);
        if (!missing.isEmpty()) {
            throw new IOException("ONNX model " + source + " has no float tensors named " + missing + "; was it trained from this model?");
        }
        Files.write(target, out);
    }

    /** Returns a field's new bytes, or null to copy it unchanged. */
    @FunctionalInterface
    private interface FieldRewriter {
        byte[] rewrite(int field, byte[] bytes, String context) throws IOException;
    }

    private byte[] graph(byte[] graph) throws IOException {
        return rewrite(graph, (field, bytes, ignored) -> switch (field) {
            case GRAPH_INITIALIZER -> tensor(bytes, null);
            case GRAPH_NODE -> constantNode(bytes);
            default -> null;
        });
    }

    private byte[] constantNode(byte[] node) throws IOException {
        String opType = "";
        String output = null;
        CodedInputStream in = stream(node);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_OP_TYPE -> opType = in.readStringRequireUtf8();
                case NODE_OUTPUT -> output = in.readStringRequireUtf8();
                default -> in.skipField(tag);
            }
        }
        if (!opType.equals("Constant") || output == null || !replacements.containsKey(output)) {
            return null;
        }
        String name = output;
        return rewrite(node, (field, bytes, ignored) -> field == NODE_ATTRIBUTE
            ? rewrite(bytes, (f, b, c) -> f == ATTRIBUTE_TENSOR && isValueAttribute(bytes) ? tensor(b, name) : null)
            : null);
    }

    private static boolean isValueAttribute(byte[] attribute) throws IOException {
        CodedInputStream in = stream(attribute);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == ATTRIBUTE_NAME) {
                return in.readStringRequireUtf8().equals("value");
            }
            in.skipField(tag);
        }
        return false;
    }

    /** The tensor with its data replaced, or null if it is not one of the replacements. */
    private byte[] tensor(byte[] tensor, String nameOverride) throws IOException {
        String name = nameOverride;
        CodedInputStream in = stream(tensor);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == TENSOR_NAME && nameOverride == null) {
                name = in.readStringRequireUtf8();
            } else {
                in.skipField(tag);
            }
        }
        FloatTensor replacement = name == null ? null : replacements.get(name);
        if (replacement == null) {
            return null;
        }
        OnnxModelFile.FloatTensor original = OnnxModelFile.readTensorBytes(tensor, name);
        if (original == null || !Arrays.equals(original.dims(), replacement.dims())) {
            throw new IOException("tensor [" + name + "] has shape " + (original == null ? "(not float)" : Arrays.toString(original.dims()))
                + " in the model but " + Arrays.toString(replacement.dims()) + " in the trained weights");
        }
        replaced.add(name);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(tensor.length);
        CodedOutputStream out = CodedOutputStream.newInstance(buffer);
        CodedInputStream copy = stream(tensor);
        for (int start = copy.getTotalBytesRead(), tag = copy.readTag(); tag != 0; start = copy.getTotalBytesRead(), tag = copy.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            copy.skipField(tag);
            if (field != TENSOR_FLOAT_DATA && field != TENSOR_RAW_DATA) {
                out.writeRawBytes(tensor, start, copy.getTotalBytesRead() - start);
            }
        }
        ByteBuffer raw = ByteBuffer.allocate(replacement.values().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(replacement.values());
        out.writeByteArray(TENSOR_RAW_DATA, raw.array());
        out.flush();
        return buffer.toByteArray();
    }

    /**
     * Copies a message field by field; a length-delimited field that {@code rewriter} returns new
     * bytes for is written with them, every other field is copied verbatim.
     */
    private byte[] rewrite(byte[] message, FieldRewriter rewriter) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(message.length);
        CodedOutputStream out = CodedOutputStream.newInstance(buffer);
        CodedInputStream in = stream(message);
        for (int start = in.getTotalBytesRead(), tag = in.readTag(); tag != 0; start = in.getTotalBytesRead(), tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                byte[] bytes = in.readByteArray();
                byte[] replacement = rewriter.rewrite(field, bytes, null);
                if (replacement != null) {
                    out.writeByteArray(field, replacement);
                    continue;
                }
            } else {
                in.skipField(tag);
            }
            out.writeRawBytes(message, start, in.getTotalBytesRead() - start);
        }
        out.flush();
        return buffer.toByteArray();
    }

    private static CodedInputStream stream(byte[] bytes) {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        return in;
    }
}
