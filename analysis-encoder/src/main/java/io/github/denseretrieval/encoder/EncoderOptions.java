package io.github.denseretrieval.encoder;

/**
 * How a {@link TextEncoder} runs: batch size and token budget of one forward pass, engine threads,
 * how many concurrent forward passes it allows, the device, and whether ONNX Runtime keeps a CPU
 * memory arena. Immutable.
 *
 * @param batchSize       texts per forward pass; longer inputs are split into batches of this size
 * @param engineThreads   intra-op threads of one forward pass (ONNX Runtime); 0 = the engine's default
 * @param concurrency     forward passes that may run at once (TensorFlow predictors pooled; ONNX
 *                        Runtime sessions are thread-safe and take any number of callers)
 * @param device          where the engine runs
 * @param maxBatchTokens  upper bound on rows x padded length of one forward pass: a batch of long
 *                        texts is split further so that the engine's activations (which grow with
 *                        this product) stay bounded; a single text longer than the bound still runs,
 *                        alone
 * @param cpuMemoryArena  whether ONNX Runtime keeps freed CPU buffers in its arena, and the
 *                        allocation plan of every input shape it has seen, for reuse (faster, but
 *                        the process keeps its peak memory and one plan per shape); turn off where
 *                        resident memory matters more than speed
 */
public record EncoderOptions(int batchSize, int engineThreads, int concurrency, DeviceChoice device,
                             int maxBatchTokens, boolean cpuMemoryArena) {

    /** Default {@link #maxBatchTokens}: 32 texts of 512 tokens, the largest batch of the defaults. */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 32 * 512;

    /** 32 texts a batch, one thread per core, one forward pass at a time per core pair, auto device. */
    public static EncoderOptions defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new EncoderOptions(32, cores, Math.max(1, cores / 2), DeviceChoice.AUTO);
    }

    /** Options with the default token budget ({@value #DEFAULT_MAX_BATCH_TOKENS}) and the memory arena on. */
    public EncoderOptions(int batchSize, int engineThreads, int concurrency, DeviceChoice device) {
        this(batchSize, engineThreads, concurrency, device, DEFAULT_MAX_BATCH_TOKENS, true);
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
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("[max_batch_tokens] must be >= 1, got [" + maxBatchTokens + "]");
        }
    }

    public EncoderOptions withBatchSize(int newBatchSize) {
        return new EncoderOptions(newBatchSize, engineThreads, concurrency, device, maxBatchTokens, cpuMemoryArena);
    }

    public EncoderOptions withMaxBatchTokens(int newMaxBatchTokens) {
        return new EncoderOptions(batchSize, engineThreads, concurrency, device, newMaxBatchTokens, cpuMemoryArena);
    }

    public EncoderOptions withCpuMemoryArena(boolean arena) {
        return new EncoderOptions(batchSize, engineThreads, concurrency, device, maxBatchTokens, arena);
    }
}
