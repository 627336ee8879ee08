package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.TextEncoder;
import org.elasticsearch.core.Releasable;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The right to use one model's encoder until {@link #close()}: while any lease is open the
 * encoder's native resources stay alive, whatever reloads or shutdown do meanwhile. Take one per
 * encode call, in try-with-resources. Closing twice releases once. Not for sharing across threads
 * beyond the one call it was taken for.
 */
public final class EncoderLease implements Releasable {

    private final LoadedModel model;
    private final AtomicBoolean released = new AtomicBoolean();

    EncoderLease(LoadedModel model) {
        this.model = model;
    }

    /** The encoder; valid until this lease is closed. */
    public TextEncoder encoder() {
        if (released.get()) {
            throw new IllegalStateException("encoder lease used after release");
        }
        return model.encoder();
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            model.decRef();
        }
    }
}
