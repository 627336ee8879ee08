package io.github.denseretrieval.evaluation.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.denseretrieval.encoder.TokenBatch;

import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The benchmark's ceiling: a bare {@link OrtSession#run} on already tokenized, already padded
 * batches, with nothing around it (no tokenization, pooling or normalisation). The library's
 * throughput is compared with this on the same session, threads and inputs.
 */
public final class RawOnnxRuntime {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public RawOnnxRuntime(OrtSession session) {
        this.session = session;
    }

    /** Runs one batch and returns the number of floats produced (so the JIT cannot drop the work). */
    public long run(TokenBatch batch) throws OrtException {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            long[] shape = batch.shape();
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.inputIds()), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.attentionMask()), shape));
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.tokenTypeIds()), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                return ((OnnxTensor) result.get(0)).getInfo().getNumElements();
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }
}
