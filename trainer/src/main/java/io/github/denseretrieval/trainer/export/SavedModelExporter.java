package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.encoder.TensorFlowSession;
import io.github.denseretrieval.trainer.export.BertWeights.Config;
import io.github.denseretrieval.trainer.export.BertWeights.Layer;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a BERT encoder as a TensorFlow SavedModel that DJL's TensorFlow engine serves: the graph
 * is built op by op with TensorFlow Java (the API DJL ships for TF 2.10.1, the same TF as the
 * serving natives), and the weights come from an ONNX export ({@link BertWeights}).
 *
 * <p>The graph follows HuggingFace's {@code BertModel} exactly as the ONNX export computes it:
 * embeddings (word + position + token type) and LayerNorm; per layer, scaled dot-product
 * attention with the additive mask {@code (1 - mask) * min_float}, residual + LayerNorm, erf GELU
 * feed-forward, residual + LayerNorm. The signature {@code serving_default} takes int64
 * {@code input_ids}, {@code attention_mask}, {@code token_type_ids} of shape {@code [batch, tokens]}
 * and returns {@code last_hidden_state} {@code [batch, tokens, hidden]}. Weights are graph
 * constants, so the SavedModel has no variables to restore.
 */
public final class SavedModelExporter {

    private SavedModelExporter() {}

    /** Converts {@code onnxFile} to a SavedModel directory {@code outDir} (created; must not exist or be empty). */
    public static void export(Path onnxFile, Path outDir) throws IOException {
        BertWeights weights = BertWeights.from(OnnxModelFile.read(onnxFile));
        export(weights, outDir);
    }

    /** Writes {@code weights} as a SavedModel directory {@code outDir}. */
    public static void export(BertWeights weights, Path outDir) throws IOException {
        if (Files.isDirectory(outDir)) {
            try (var entries = Files.list(outDir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("SavedModel output directory is not empty: " + outDir);
                }
            }
        }
        // DJL loads the TF natives (from tensorflow-native-cpu on the classpath) once per JVM;
        // TensorFlow Java's Graph then runs on them.
        TensorFlowSession.loadEngine();
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Placeholder<TInt64> inputIds = tf.withName("input_ids").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
            Placeholder<TInt64> attentionMask = tf.withName("attention_mask").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
            Placeholder<TInt64> tokenTypeIds = tf.withName("token_type_ids").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
            Operand<TFloat32> hidden = new BertGraph(tf, weights).encode(inputIds, attentionMask, tokenTypeIds);
            Operand<TFloat32> output = tf.withName("last_hidden_state").identity(hidden);
            try (Session session = new Session(graph)) {
                Signature signature = Signature.builder()
                    .key(Signature.DEFAULT_KEY)
                    .input("input_ids", inputIds)
                    .input("attention_mask", attentionMask)
                    .input("token_type_ids", tokenTypeIds)
                    .output("last_hidden_state", output)
                    .build();
                SavedModelBundle.exporter(outDir.toString()).withTags("serve").withSession(session).withSignature(signature).export();
            }
        }
    }

    /** Builds the encoder's ops on one {@link Ops}; not reusable across graphs. */
    private static final class BertGraph {
        private final Ops tf;
        private final BertWeights w;
        private final Config c;

        BertGraph(Ops tf, BertWeights weights) {
            this.tf = tf;
            this.w = weights;
            this.c = weights.config();
        }

        Operand<TFloat32> encode(Operand<TInt64> inputIds, Operand<TInt64> attentionMask, Operand<TInt64> tokenTypeIds) {
            Operand<TInt32> shape = tf.shape(inputIds);
            Operand<TInt32> batch = tf.reshape(tf.stridedSlice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {1}), tf.constant(new int[] {1})), tf.constant(new int[0]));
            Operand<TInt32> tokens = tf.reshape(tf.stridedSlice(shape, tf.constant(new int[] {1}), tf.constant(new int[] {2}), tf.constant(new int[] {1})), tf.constant(new int[0]));
            Operand<TInt32> positions = tf.range(tf.constant(0), tokens, tf.constant(1));
            Operand<TFloat32> x = tf.math.add(
                tf.math.add(gather(w.wordEmbeddings(), inputIds), gather(w.tokenTypeEmbeddings(), tokenTypeIds)),
                gather(w.positionEmbeddings(), positions));
            x = layerNorm(x, w.embeddingNormG(), w.embeddingNormB());

            // [batch, 1, 1, tokens]: 0 for real tokens, min_float for padding, added to attention scores.
            Operand<TFloat32> maskF = tf.dtypes.cast(attentionMask, TFloat32.class);
            Operand<TFloat32> additiveMask = tf.math.mul(tf.math.sub(tf.constant(1f), maskF), tf.constant(c.maskValue()));
            additiveMask = tf.reshape(additiveMask, tf.stack(java.util.List.of(batch, tf.constant(1), tf.constant(1), tokens)));

            for (Layer layer : w.layers()) {
                x = layer(x, layer, additiveMask, batch, tokens);
            }
            return x;
        }

        private Operand<TFloat32> layer(Operand<TFloat32> x, Layer l, Operand<TFloat32> mask, Operand<TInt32> batch, Operand<TInt32> tokens) {
            Operand<TInt32> headsShape = tf.stack(java.util.List.of(batch, tokens, tf.constant(c.heads()), tf.constant(c.headDim())));
            Operand<TInt32> toHeads = tf.constant(new int[] {0, 2, 1, 3});
            Operand<TFloat32> q = tf.linalg.transpose(tf.reshape(dense(x, l.queryW(), l.queryB()), headsShape), toHeads);
            Operand<TFloat32> k = tf.linalg.transpose(tf.reshape(dense(x, l.keyW(), l.keyB()), headsShape), tf.constant(new int[] {0, 2, 3, 1}));
            Operand<TFloat32> v = tf.linalg.transpose(tf.reshape(dense(x, l.valueW(), l.valueB()), headsShape), toHeads);
            Operand<TFloat32> scores = tf.math.div(tf.train.batchMatMul(q, k, TFloat32.class), tf.constant((float) Math.sqrt(c.headDim())));
            Operand<TFloat32> probs = tf.nn.softmax(tf.math.add(scores, mask));
            Operand<TFloat32> context = tf.linalg.transpose(tf.train.batchMatMul(probs, v, TFloat32.class), toHeads);
            context = tf.reshape(context, tf.stack(java.util.List.of(batch, tokens, tf.constant(c.hidden()))));
            Operand<TFloat32> attended = layerNorm(tf.math.add(dense(context, l.attentionOutW(), l.attentionOutB()), x), l.attentionNormG(), l.attentionNormB());
            Operand<TFloat32> intermediate = gelu(dense(attended, l.intermediateW(), l.intermediateB()));
            return layerNorm(tf.math.add(dense(intermediate, l.outputW(), l.outputB()), attended), l.outputNormG(), l.outputNormB());
        }

        /** {@code x W + b} over the last axis of a {@code [batch, tokens, in]} tensor. */
        private Operand<TFloat32> dense(Operand<TFloat32> x, FloatTensor weight, FloatTensor bias) {
            int in = (int) weight.dims()[0];
            int out = (int) weight.dims()[1];
            Operand<TInt32> shape = tf.shape(x);
            Operand<TFloat32> flat = tf.reshape(x, tf.constant(new int[] {-1, in}));
            Operand<TFloat32> y = tf.math.add(tf.linalg.matMul(flat, constant(weight)), constant(bias));
            Operand<TInt32> outShape = tf.concat(java.util.List.of(
                tf.stridedSlice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {2}), tf.constant(new int[] {1})),
                tf.constant(new int[] {out})), tf.constant(0));
            return tf.reshape(y, outShape);
        }

        /** LayerNorm as the ONNX export computes it: {@code (x - mean) / sqrt(var + eps) * g + b}. */
        private Operand<TFloat32> layerNorm(Operand<TFloat32> x, FloatTensor gamma, FloatTensor beta) {
            Operand<TInt32> lastAxis = tf.constant(new int[] {-1});
            Operand<TFloat32> mean = tf.math.mean(x, lastAxis, Mean.keepDims(true));
            Operand<TFloat32> centered = tf.math.sub(x, mean);
            Operand<TFloat32> variance = tf.math.mean(tf.math.mul(centered, centered), lastAxis, Mean.keepDims(true));
            Operand<TFloat32> normalized = tf.math.div(centered, tf.math.sqrt(tf.math.add(variance, tf.constant(c.layerNormEpsilon()))));
            return tf.math.add(tf.math.mul(normalized, constant(gamma)), constant(beta));
        }

        /** Exact (erf) GELU, as BERT's {@code hidden_act = "gelu"}: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
        private Operand<TFloat32> gelu(Operand<TFloat32> x) {
            Operand<TFloat32> erf = tf.math.erf(tf.math.div(x, tf.constant((float) Math.sqrt(2.0))));
            return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)), tf.math.add(erf, tf.constant(1f)));
        }

        private Operand<TFloat32> gather(FloatTensor table, Operand<? extends org.tensorflow.types.family.TNumber> ids) {
            return tf.gather(constant(table), ids, tf.constant(0));
        }

        private Operand<TFloat32> constant(FloatTensor t) {
            return tf.constant(Shape.of(t.dims()), DataBuffers.of(t.values(), true, false));
        }
    }
}
