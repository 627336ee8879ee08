package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.denseretrieval.trainer.VectorDiff.maxAbsDiff;

/** The DJL-block BERT on PyTorch computes the vectors ONNX Runtime computes from the same folder. */
class TrainableEncoderTests {

    static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));

    static final List<String> TEXTS = List.of(
        "Malaria is caused by Plasmodium parasites transmitted by Anopheles mosquitoes.",
        "A short one",
        "Statins lower LDL cholesterol and reduce cardiovascular events in high-risk adults, according to several randomised trials.");

    @Test
    void bgeSmallMatchesOnnxRuntime() throws IOException {
        assertParity(MODELS.resolve("bge-small-en-v1.5"));
    }

    @Test
    void meanPooledMiniLmMatchesOnnxRuntime() throws IOException {
        assertParity(MODELS.resolve("all-minilm-l6-v2"));
    }

    private static void assertParity(Path folder) throws IOException {
        try (TrainableEncoder torch = TrainableEncoder.open(folder, Device.cpu(), 512, 512);
             TextEncoder onnx = TextEncoder.open(folder, EncoderOptions.defaults().withBatchSize(2))) {
            assertTrue(maxAbsDiff(onnx.encodePassages(TEXTS), torch.encode(TEXTS, TextRole.PASSAGE, 2)) <= 1e-4);
            assertTrue(maxAbsDiff(onnx.encodeQueries(TEXTS), torch.encode(TEXTS, TextRole.QUERY, 3)) <= 1e-4);
            assertEquals(onnx.dimensions(), torch.encode(List.of("x"), TextRole.QUERY, 1)[0].length);
        }
    }
}
