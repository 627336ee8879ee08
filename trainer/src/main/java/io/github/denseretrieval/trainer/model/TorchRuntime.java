package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.denseretrieval.encoder.DeviceChoice;

/**
 * DJL's PyTorch engine, the one DJL engine that trains. Its natives come from the
 * {@code pytorch-native-cpu} jar (or {@code pytorch-native-cu121} with {@code -Pcuda}) on the
 * classpath; DJL is set offline so a missing native fails instead of downloading.
 */
public final class TorchRuntime {

    private TorchRuntime() {}

    /** The PyTorch engine, loading its natives on first use. */
    public static Engine engine() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        return Engine.getEngine("PyTorch");
    }

    /**
     * The devices a dual encoder trains on: every GPU the engine sees for {@code auto} (CPU
     * without one) and {@code gpu}, the CPU for {@code cpu}. Several devices train replicas whose
     * batches are gathered into one loss ({@code train.Replicas}).
     */
    public static java.util.List<Device> devices(DeviceChoice choice) {
        Device first = device(choice);
        if (first.isGpu()) {
            return java.util.stream.IntStream.range(0, engine().getGpuCount()).mapToObj(Device::gpu).toList();
        }
        return java.util.List.of(first);
    }

    /**
     * The device to train on: {@code auto} takes the first GPU when the engine sees one (CUDA
     * natives on the classpath and a driver) and the CPU otherwise; {@code gpu} fails without one.
     */
    public static Device device(DeviceChoice choice) {
        Engine engine = engine();
        int gpus = engine.getGpuCount();
        return switch (choice) {
            case CPU -> Device.cpu();
            case AUTO -> gpus > 0 ? Device.gpu(0) : Device.cpu();
            case GPU -> {
                if (gpus == 0) {
                    throw new IllegalArgumentException("--device gpu: PyTorch sees no GPU (build with -Pcuda for the CUDA 12.1 natives "
                        + "and check the NVIDIA driver), use --device cpu or auto");
                }
                yield Device.gpu(0);
            }
        };
    }
}
