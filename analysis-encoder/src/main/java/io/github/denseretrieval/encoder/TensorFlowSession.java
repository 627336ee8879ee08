package io.github.denseretrieval.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.tensorflow.engine.javacpp.JavacppUtils;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import org.tensorflow.proto.framework.ConfigProto;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A BERT-style TensorFlow SavedModel (tag {@code serve}, signature {@code serving_default}, inputs
 * {@code input_ids}/{@code attention_mask}/{@code token_type_ids}, output
 * {@code last_hidden_state}) run through DJL's TensorFlow engine (TF 2.10.1 natives from Maven).
 *
 * <p>Thread-safe: a DJL {@link Predictor} is not, so each forward pass borrows one from a fixed
 * pool of {@link EncoderOptions#concurrency()} predictors and returns it afterwards; callers beyond
 * that wait for a free predictor.
 */
public final class TensorFlowSession implements InferenceSession {

    private static final String ENGINE = "TensorFlow";

    private final Model model;
    private final BlockingQueue<Predictor<NDList, NDList>> predictors;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TensorFlowSession(Model model, int poolSize, String device) {
        this.model = model;
        this.predictors = new ArrayBlockingQueue<>(poolSize);
        for (int i = 0; i < poolSize; i++) {
            predictors.add(model.newPredictor(new NoopTranslator()));
        }
        this.description = "tensorflow " + Engine.getEngine(ENGINE).getVersion() + " on " + device;
    }

    /** Loads the SavedModel directory {@code savedModel}; errors name it and the cause. */
    public static TensorFlowSession open(Path savedModel, EncoderOptions options) {
        if (!Files.isRegularFile(savedModel.resolve("saved_model.pb"))) {
            throw new InvalidModelException("TensorFlow SavedModel not found: " + savedModel + " has no saved_model.pb");
        }
        Engine engine = loadEngine();
        Device device = selectDevice(engine, options.device());
        // The model is loaded directly, not through DJL's Criteria: its model loader opens a class
        // loader over the folder to look for block factories, which an Elasticsearch plugin may not do
        // (the create_class_loader entitlement is granted to modules only), and a SavedModel needs none.
        Model model = Model.newInstance(savedModel.getFileName().toString(), device, ENGINE);
        try {
            model.load(savedModel, null, java.util.Map.of("Tags", "serve", "SignatureDefKey", "serving_default", "ConfigProto",
                sessionConfig(options)));
            return new TensorFlowSession(model, options.concurrency(), device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu");
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new InvalidModelException("cannot load TensorFlow SavedModel " + savedModel + ": " + e.getMessage(), e);
        }
    }

    /**
     * DJL's session config (GPU options included) with the thread pools of the ONNX path: the
     * intra-op threads the options give and one inter-op thread. TensorFlow's default sizes both
     * pools to every core, so two forward passes at once (a node's two write threads ingesting)
     * oversubscribe a small machine several times over.
     */
    private static ConfigProto sessionConfig(EncoderOptions options) {
        var config = JavacppUtils.getSessionConfig().toBuilder().setInterOpParallelismThreads(1);
        if (options.engineThreads() > 0) {
            config.setIntraOpParallelismThreads(options.engineThreads());
        }
        return config.build();
    }

    /**
     * Loads DJL's TensorFlow engine with the natives from the classpath (see {@link TensorFlowNatives}).
     *
     * @throws InvalidModelException if the engine or its natives are not installed
     */
    public static Engine loadEngine() {
        try {
            TensorFlowNatives.prepare();
            return Engine.getEngine(ENGINE);
        } catch (EngineException | IllegalArgumentException | NoClassDefFoundError e) {
            throw new InvalidModelException("TensorFlow models need DJL's TensorFlow engine, which is not installed here "
                + "(ai.djl.tensorflow:tensorflow-engine and tensorflow-native-cpu): " + causes(e), e);
        }
    }

    /** Every message down the cause chain: DJL's own says only "Failed to load", the reason is deeper. */
    private static String causes(Throwable e) {
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            out.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return out.toString();
    }

    private static Device selectDevice(Engine engine, DeviceChoice choice) {
        boolean gpu = engine.getGpuCount() > 0;
        if (choice == DeviceChoice.GPU && !gpu) {
            throw new InvalidModelException("device [gpu] requested but DJL's TensorFlow engine sees no GPU "
                + "(CUDA natives: ai.djl.tensorflow:tensorflow-native-cu113)");
        }
        return choice != DeviceChoice.CPU && gpu ? Device.gpu() : Device.cpu();
    }

    @Override
    public HiddenStates run(TokenBatch batch) {
        Predictor<NDList, NDList> predictor;
        try {
            predictor = predictors.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a TensorFlow predictor", e);
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(batch.rows(), batch.cols());
            // DJL matches inputs to the signature by name; the signature's inputs sort as listed here.
            NDList inputs = new NDList(
                named(manager.create(batch.attentionMask(), shape), "attention_mask"),
                named(manager.create(batch.inputIds(), shape), "input_ids"),
                named(manager.create(batch.tokenTypeIds(), shape), "token_type_ids"));
            NDList outputs = predictor.predict(inputs);
            NDArray hidden = outputs.get(0);
            long[] s = hidden.getShape().getShape();
            if (s.length != 3) {
                throw new IllegalStateException("SavedModel output must be [batch, tokens, dims], got " + hidden.getShape());
            }
            float[] values = hidden.toFloatArray();
            outputs.close();
            return new HiddenStates(FloatBuffer.wrap(values), (int) s[0], (int) s[1], (int) s[2]);
        } catch (TranslateException e) {
            throw new IllegalStateException("TensorFlow failed on a batch of " + batch.rows() + " texts: " + e.getMessage(), e);
        } finally {
            predictors.add(predictor);
        }
    }

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }

    @Override
    public String description() {
        return description;
    }

    /** Closes the predictors and the model once; later calls do nothing (a second native close would be a double free). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        predictors.forEach(Predictor::close);
        model.close();
    }
}
