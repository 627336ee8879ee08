package io.github.denseretrieval.trainer.cli;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import picocli.CommandLine.Option;

/** Encoder options shared by the commands that run a model. */
final class ModelOptions {

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--engine-threads", defaultValue = "0", description = "Engine intra-op threads; 0 = one per core.")
    int engineThreads;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--memory-arena", defaultValue = "true", arity = "1", description = "Keep ONNX Runtime's memory arena and "
        + "per-shape plans (true, default) or allocate per pass (false), as the node setting dense_retrieval.engine.memory_arena.")
    boolean memoryArena;

    EncoderOptions toEncoderOptions() {
        EncoderOptions defaults = EncoderOptions.defaults();
        int threads = engineThreads > 0 ? engineThreads : defaults.engineThreads();
        return new EncoderOptions(batchSize, threads, defaults.concurrency(), DeviceChoice.fromName(device)).withCpuMemoryArena(memoryArena);
    }
}
