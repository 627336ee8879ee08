package io.github.denseretrieval.encoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A BERT-style ONNX model run with ONNX Runtime's own Java API.
 *
 * <p>ONNX Runtime's API is used directly rather than through DJL's OnnxRuntime engine: the
 * session takes our int64 buffers without an NDArray round trip, so the library's throughput is
 * the raw session's (see the encoder benchmark), and there is one less layer of natives to load
 * inside an Elasticsearch node. Thread-safe: an {@link OrtSession} accepts concurrent
 * {@code run} calls, and this class adds no mutable state.
 */
public final class OnnxRuntimeSession implements InferenceSession {

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final Set<String> inputNames;
    private final String outputName;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxRuntimeSession(OrtEnvironment environment, OrtSession session, String outputName, String device) {
        this.environment = environment;
        this.session = session;
        this.inputNames = session.getInputNames();
        this.outputName = outputName;
        this.description = "onnxruntime " + environment.getVersion() + " on " + device;
    }

    /** Loads {@code weights}; errors name the file and say whether it is missing or not a usable model. */
    public static OnnxRuntimeSession open(Path weights, EncoderOptions options) {
        if (!Files.isRegularFile(weights)) {
            throw new InvalidModelException("ONNX weights file not found: " + weights);
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (SessionOptions sessionOptions = new SessionOptions()) {
            sessionOptions.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            sessionOptions.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            if (options.engineThreads() > 0) {
                sessionOptions.setIntraOpNumThreads(options.engineThreads());
            }
            // One inter-op thread: BERT graphs are a chain, and extra pools only contend for cores.
            sessionOptions.setInterOpNumThreads(1);
            // ONNX Runtime's pool threads busy-wait for work after each operator by default. Inside
            // an Elasticsearch node that idles between requests this keeps cores busy for nothing
            // and steals them from search threads; parking costs a few microseconds per operator.
            sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
            sessionOptions.addConfigEntry("session.inter_op.allow_spinning", "0");
            sessionOptions.setCPUArenaAllocator(options.cpuMemoryArena());
            // Memory patterns are plans cached per input shape; texts give a new shape for every
            // batch size x padded length, so with the arena off they would be the one cache left growing.
            sessionOptions.setMemoryPatternOptimization(options.cpuMemoryArena());
            String device = selectDevice(environment, sessionOptions, options.device());
            OrtSession session = environment.createSession(weights.toString(), sessionOptions);
            return new OnnxRuntimeSession(environment, session, checkSignature(session, weights), device);
        } catch (OrtException e) {
            throw new InvalidModelException("cannot load ONNX model " + weights + ": " + e.getMessage(), e);
        }
    }

    private static String selectDevice(OrtEnvironment environment, SessionOptions sessionOptions, DeviceChoice choice)
        throws OrtException {
        boolean cuda = OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA);
        if (choice == DeviceChoice.GPU && !cuda) {
            throw new InvalidModelException("device [gpu] requested but this ONNX Runtime has no CUDA provider "
                + "(put com.microsoft.onnxruntime:onnxruntime_gpu on the classpath instead of onnxruntime)");
        }
        if (choice != DeviceChoice.CPU && cuda) {
            sessionOptions.addCUDA(0);
            return "gpu:0";
        }
        return "cpu";
    }

    private static String checkSignature(OrtSession session, Path weights) throws OrtException {
        Set<String> inputs = session.getInputNames();
        if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)) {
            throw new InvalidModelException("ONNX model " + weights + " must take inputs [input_ids, attention_mask], has " + inputs);
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3) {
                return e.getKey();
            }
        }
        throw new InvalidModelException("ONNX model " + weights + " has no [batch, tokens, dims] output; outputs are " + outputs.keySet());
    }

    @Override
    public HiddenStates run(TokenBatch batch) {
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            long[] shape = batch.shape();
            inputs.put(INPUT_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.inputIds()), shape));
            inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.attentionMask()), shape));
            if (inputNames.contains(TOKEN_TYPE_IDS)) {
                inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.tokenTypeIds()), shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(outputName))) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] outShape = hidden.getInfo().getShape();
                FloatBuffer values = hidden.getFloatBuffer();
                return new HiddenStates(values, (int) outShape[0], (int) outShape[1], (int) outShape[2]);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + batch.rows() + " texts: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** The underlying session, for the benchmark's raw-session baseline. */
    public OrtSession ortSession() {
        return session;
    }

    @Override
    public String description() {
        return description;
    }

    /** Closes the native session once; later calls do nothing (a second native close would be a double free). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
