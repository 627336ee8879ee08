package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.NativeHeap;
import io.github.denseretrieval.encoder.TextEncoder;
import org.elasticsearch.core.AbstractRefCounted;

/**
 * One opened encoder, shared by every thread that encodes with it and closed when the last holder
 * lets go. The registry holds one reference while the model is served; each encode holds one
 * through an {@link EncoderLease}. A reload or node shutdown only drops the registry's reference,
 * so the native ONNX Runtime session and tokenizer are freed after the last forward pass that
 * uses them has returned, never under it (freeing them mid-pass crashed the node with SIGSEGV).
 * Thread-safe.
 */
final class LoadedModel extends AbstractRefCounted {

    private final TextEncoder encoder;

    LoadedModel(TextEncoder encoder) {
        this.encoder = encoder;
    }

    TextEncoder encoder() {
        return encoder;
    }

    /** A new lease, or null when the model has already been closed (a reload raced with this caller). */
    EncoderLease tryLease() {
        return tryIncRef() ? new EncoderLease(this) : null;
    }

    @Override
    protected void closeInternal() {
        encoder.close();
        // The session's weights and arena are free now, but glibc keeps most of it unless asked.
        NativeHeap.trim();
    }
}
