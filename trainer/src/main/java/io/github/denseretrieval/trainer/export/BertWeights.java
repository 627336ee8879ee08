package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.export.OnnxModelFile.Node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights and shape of a BERT encoder, read from an ONNX graph exported from HuggingFace
 * transformers ({@code torch.onnx} naming: {@code /encoder/layer.N/attention/self/query/MatMul}).
 *
 * <p>Weights are found through the graph's nodes, not the initializers' names, because the
 * exporter renames transposed matrices ({@code onnx::MatMul_1525}). Dense weights are kept as the
 * graph uses them, {@code [in, out]} (so {@code y = x W + b}). Immutable.
 */
public final class BertWeights {

    /** Shape of the encoder. */
    public record Config(int layers, int hidden, int heads, int intermediate, int maxPositions, int typeVocab,
                         float layerNormEpsilon, float maskValue) {
        public int headDim() {
            return hidden / heads;
        }
    }

    /** One transformer layer: self-attention and feed-forward, each followed by residual + LayerNorm. */
    public record Layer(FloatTensor queryW, FloatTensor queryB, FloatTensor keyW, FloatTensor keyB,
                        FloatTensor valueW, FloatTensor valueB, FloatTensor attentionOutW, FloatTensor attentionOutB,
                        FloatTensor attentionNormG, FloatTensor attentionNormB,
                        FloatTensor intermediateW, FloatTensor intermediateB, FloatTensor outputW, FloatTensor outputB,
                        FloatTensor outputNormG, FloatTensor outputNormB) {}

    private static final Pattern LAYER_DENSE = Pattern.compile(
        ".*/encoder/layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value|attention/output/dense|intermediate/dense|output/dense)/MatMul$");

    private final Config config;
    private final FloatTensor wordEmbeddings;
    private final FloatTensor positionEmbeddings;
    private final FloatTensor tokenTypeEmbeddings;
    private final FloatTensor embeddingNormG;
    private final FloatTensor embeddingNormB;
    private final List<Layer> layers;

    private BertWeights(Config config, FloatTensor word, FloatTensor position, FloatTensor tokenType,
                        FloatTensor normG, FloatTensor normB, List<Layer> layers) {
        this.config = config;
        this.wordEmbeddings = word;
        this.positionEmbeddings = position;
        this.tokenTypeEmbeddings = tokenType;
        this.embeddingNormG = normG;
        this.embeddingNormB = normB;
        this.layers = List.copyOf(layers);
    }

    /** Extracts the encoder from {@code onnx}; fails naming what is missing if it is not a BERT export. */
    public static BertWeights from(OnnxModelFile onnx) {
        Graph g = new Graph(onnx);
        FloatTensor word = g.weightOf(".*/embeddings/word_embeddings/Gather$", 0);
        FloatTensor position = g.weightOf(".*/embeddings/position_embeddings/Gather$", 0);
        FloatTensor tokenType = g.weightOf(".*/embeddings/token_type_embeddings/Gather$", 0);
        FloatTensor embNormG = g.weightOf(".*/embeddings/LayerNorm/Mul$", 1);
        FloatTensor embNormB = g.weightOf(".*/embeddings/LayerNorm/Add_1$", 1);

        Map<Integer, Map<String, FloatTensor[]>> dense = new HashMap<>();
        for (Node n : onnx.nodes()) {
            Matcher m = LAYER_DENSE.matcher(n.name());
            if (m.matches() && n.opType().equals("MatMul")) {
                String prefix = n.name().substring(0, n.name().length() - "MatMul".length());
                FloatTensor w = g.floatInput(n).orElseThrow(() -> missing(n.name() + " weight"));
                FloatTensor b = g.weightOf(Pattern.quote(prefix + "Add") + "$", -1);
                dense.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new HashMap<>()).put(m.group(2), new FloatTensor[] {w, b});
            }
        }
        if (dense.isEmpty()) {
            throw new IllegalArgumentException("ONNX graph has no BERT encoder layers (no /encoder/layer.N/.../MatMul nodes); "
                + "only HuggingFace BERT-style exports can be converted");
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < dense.size(); i++) {
            Map<String, FloatTensor[]> d = dense.get(i);
            if (d == null || d.size() != 6) {
                throw missing("encoder layer " + i + " dense weights");
            }
            String p = ".*/encoder/layer\\." + i + "/";
            layers.add(new Layer(
                d.get("attention/self/query")[0], d.get("attention/self/query")[1],
                d.get("attention/self/key")[0], d.get("attention/self/key")[1],
                d.get("attention/self/value")[0], d.get("attention/self/value")[1],
                d.get("attention/output/dense")[0], d.get("attention/output/dense")[1],
                g.weightOf(p + "attention/output/LayerNorm/Mul$", 1), g.weightOf(p + "attention/output/LayerNorm/Add_1$", 1),
                d.get("intermediate/dense")[0], d.get("intermediate/dense")[1],
                d.get("output/dense")[0], d.get("output/dense")[1],
                g.weightOf(p + "output/LayerNorm/Mul$", 1), g.weightOf(p + "output/LayerNorm/Add_1$", 1)));
        }
        int hidden = (int) word.dims()[1];
        // The attention scores are divided by sqrt(head_dim): the head count is read off that constant.
        float scale = g.weightOf(".*/encoder/layer\\.0/attention/self/Div$", 1).values()[0];
        int headDim = Math.round(scale * scale);
        float epsilon = g.weightOf(".*/embeddings/LayerNorm/Add$", 1).values()[0];
        float maskValue = g.findWeight("^/Mul$", 1).map(t -> t.values()[0]).orElse(-Float.MAX_VALUE);
        Config config = new Config(layers.size(), hidden, hidden / headDim, (int) layers.get(0).intermediateW().dims()[1],
            (int) position.dims()[0], (int) tokenType.dims()[0], epsilon, maskValue);
        return new BertWeights(config, word, position, tokenType, embNormG, embNormB, layers);
    }

    private static IllegalArgumentException missing(String what) {
        return new IllegalArgumentException("ONNX graph is not a BERT export this converter understands: cannot find " + what);
    }

    /**
     * The same encoder with each tensor whose name is in {@code trained} replaced by that tensor
     * (the trainer's weights); fails if a replacement changes a shape.
     */
    public BertWeights replacing(Map<String, FloatTensor> trained) {
        UnaryOperator<FloatTensor> swap = t -> {
            FloatTensor n = trained.get(t.name());
            if (n == null) {
                return t;
            }
            if (!Arrays.equals(n.dims(), t.dims())) {
                throw new IllegalArgumentException("trained tensor [" + t.name() + "] has shape " + Arrays.toString(n.dims())
                    + " but the graph's is " + Arrays.toString(t.dims()));
            }
            return n;
        };
        List<Layer> swapped = layers.stream().map(l -> new Layer(
            swap.apply(l.queryW()), swap.apply(l.queryB()), swap.apply(l.keyW()), swap.apply(l.keyB()),
            swap.apply(l.valueW()), swap.apply(l.valueB()), swap.apply(l.attentionOutW()), swap.apply(l.attentionOutB()),
            swap.apply(l.attentionNormG()), swap.apply(l.attentionNormB()),
            swap.apply(l.intermediateW()), swap.apply(l.intermediateB()), swap.apply(l.outputW()), swap.apply(l.outputB()),
            swap.apply(l.outputNormG()), swap.apply(l.outputNormB()))).toList();
        return new BertWeights(config, swap.apply(wordEmbeddings), swap.apply(positionEmbeddings), swap.apply(tokenTypeEmbeddings),
            swap.apply(embeddingNormG), swap.apply(embeddingNormB), swapped);
    }

    public Config config() {
        return config;
    }

    public FloatTensor wordEmbeddings() {
        return wordEmbeddings;
    }

    public FloatTensor positionEmbeddings() {
        return positionEmbeddings;
    }

    public FloatTensor tokenTypeEmbeddings() {
        return tokenTypeEmbeddings;
    }

    public FloatTensor embeddingNormG() {
        return embeddingNormG;
    }

    public FloatTensor embeddingNormB() {
        return embeddingNormB;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Node look-ups by name pattern over one graph. */
    private static final class Graph {
        private final OnnxModelFile onnx;

        Graph(OnnxModelFile onnx) {
            this.onnx = onnx;
        }

        /** The float input of the first node matching {@code namePattern}: at {@code index}, or any (-1). */
        FloatTensor weightOf(String namePattern, int index) {
            return findWeight(namePattern, index).orElseThrow(() -> missing("a float input of node " + namePattern));
        }

        Optional<FloatTensor> findWeight(String namePattern, int index) {
            Pattern p = Pattern.compile(namePattern);
            for (Node n : onnx.nodes()) {
                if (p.matcher(n.name()).find()) {
                    if (index < 0) {
                        return floatInput(n);
                    }
                    return index < n.inputs().size() ? Optional.ofNullable(onnx.floatTensors().get(n.inputs().get(index))) : Optional.empty();
                }
            }
            return Optional.empty();
        }

        Optional<FloatTensor> floatInput(Node n) {
            return n.inputs().stream().map(onnx.floatTensors()::get).filter(t -> t != null).findFirst();
        }
    }
}
