package io.github.denseretrieval.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.TrainableEncoder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundled bge-small with only its top two layers trainable and short truncation: cheap enough
 * to compare training paths (gradient cache, frozen-layer cache) in unit tests, and its gradients.
 */
final class TwoTrainableLayers {

    static final Path BASE = DualEncoderTrainingTests.MODELS.resolve("bge-small-en-v1.5");

    private TwoTrainableLayers() {}

    static TrainableEncoder open() throws IOException {
        TrainableEncoder encoder = TrainableEncoder.open(BASE, Device.cpu(), 24, 32);
        encoder.towers().forEach(t -> t.freezeBottom(10));
        return encoder;
    }

    /** Every trainable parameter's gradient after a backward pass, in parameter order. */
    static List<float[]> gradients(TrainableEncoder encoder) {
        List<float[]> out = new ArrayList<>();
        for (BertTower tower : encoder.towers()) {
            for (Pair<String, Parameter> p : tower.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    try (NDArray g = p.getValue().getArray().getGradient()) {
                        out.add(g.toFloatArray());
                    }
                }
            }
        }
        return out;
    }
}
