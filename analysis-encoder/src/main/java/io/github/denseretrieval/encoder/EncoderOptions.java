package io.github.denseretrieval.encoder;

/**
 * How a {@link TextEncoder} runs: batch size for one forward pass, engine threads, how many
 * concurrent forward passes it allows, and the device.
 *
 * @param batchSize      texts per forward pass; longer inputs are split into batches of this size
 * @param engineThreads  intra-op threads of one forward pass (ONNX Runtime); 0 = the engine's default
 * @param concurrency    forward passes that may run at once (TensorFlow predictors pooled; ONNX
 *                       Runtime sessions are thread-safe and take any number of callers)
 */
public record EncoderOptions(int batchSize, int engineThreads, int concurrency, DeviceChoice device) {

    /** 32 texts a batch, one thread per core, one forward pass at a time per core pair, auto device. */
    public static EncoderOptions defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new EncoderOptions(32, cores, Math.max(1, cores / 2), DeviceChoice.AUTO);
    }

    public EncoderOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("[batch_size] must be >= 1, got [" + batchSize + "]");
        }
        if (engineThreads < 0) {
            throw new IllegalArgumentException("[engine_threads] must be >= 0, got [" + engineThreads + "]");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("[concurrency] must be >= 1, got [" + concurrency + "]");
        }
        if (device == null) {
            throw new IllegalArgumentException("[device] must be one of [auto, cpu, gpu]");
        }
    }

    public EncoderOptions withBatchSize(int newBatchSize) {
        return new EncoderOptions(newBatchSize, engineThreads, concurrency, device);
    }
}
