package io.github.denseretrieval.encoder;

import java.io.Closeable;

/**
 * One loaded model on one engine: token ids in, last hidden states out. Implementations state
 * their thread safety; {@link TextEncoder} relies on {@link #run} being callable from several
 * threads at once.
 */
public interface InferenceSession extends Closeable {

    /** Runs one forward pass. */
    HiddenStates run(TokenBatch batch);

    /** Engine and device, for logs and the model API (e.g. {@code "onnxruntime 1.20.0 on cpu"}). */
    String description();

    @Override
    void close();
}
