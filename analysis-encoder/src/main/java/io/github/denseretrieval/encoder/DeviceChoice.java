package io.github.denseretrieval.encoder;

/**
 * Where inference runs. {@link #AUTO} takes a GPU when the engine finds one (ONNX Runtime built
 * with CUDA, i.e. the {@code onnxruntime_gpu} artifact on the classpath, or DJL TensorFlow with
 * CUDA natives) and the CPU otherwise; {@link #GPU} fails with a clear error when there is none.
 */
public enum DeviceChoice {
    AUTO,
    CPU,
    GPU;

    /** Parses {@code auto|cpu|gpu}. */
    public static DeviceChoice fromName(String name) {
        for (DeviceChoice d : values()) {
            if (d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown device [" + name + "]; valid values are [auto, cpu, gpu]");
    }
}
