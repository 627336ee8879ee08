package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.EngineType;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.TextEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.denseretrieval.trainer.VectorDiff.maxAbsDiff;

/** The ONNX -> SavedModel converter gives the ONNX model's vectors through the TensorFlow engine. */
class SavedModelExporterTests {

    static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));

    @Test
    void readsBgeSmallAsTwelveLayerBert() throws IOException {
        BertWeights w = BertWeights.from(OnnxModelFile.read(MODELS.resolve("bge-small-en-v1.5/model.onnx")));
        BertWeights.Config c = w.config();
        assertEquals(12, c.layers());
        assertEquals(384, c.hidden());
        assertEquals(12, c.heads());
        assertEquals(1536, c.intermediate());
        assertEquals(1e-12f, c.layerNormEpsilon(), 1e-15f);
    }

    @Test
    void savedModelGivesTheOnnxVectors(@TempDir Path dir) throws IOException {
        Path tfFolder = dir.resolve("bge-tf");
        ModelManifest m = ModelFolderExport.toTensorFlow(MODELS.resolve("bge-small-en-v1.5"), tfFolder);
        assertEquals(EngineType.TENSORFLOW, m.engine());
        assertTrue(Files.isRegularFile(tfFolder.resolve("saved_model/saved_model.pb")));
        List<String> texts = List.of(
            "Malaria is caused by Plasmodium parasites.",
            "A short one",
            "Statins lower LDL cholesterol and reduce cardiovascular events in high-risk adults, according to several randomised trials.");
        EncoderOptions options = EncoderOptions.defaults().withBatchSize(2);
        try (TextEncoder onnx = TextEncoder.open(MODELS.resolve("bge-small-en-v1.5"), options);
             TextEncoder tf = TextEncoder.open(tfFolder, options)) {
            float[][] a = onnx.encodePassages(texts);
            float[][] b = tf.encodePassages(texts);
            float[] qa = onnx.encodeQuery("what causes malaria");
            float[] qb = tf.encodeQuery("what causes malaria");
            assertEquals(0, maxAbsDiff(new float[][] {qa}, new float[][] {qb}), 1e-4);
            assertEquals(0, maxAbsDiff(a, b), 1e-4);
            assertTrue(tf.engineDescription().startsWith("tensorflow"), tf.engineDescription());
        }
    }

    @Test
    void notAnOnnxFileIsRejected(@TempDir Path dir) throws IOException {
        Path bogus = dir.resolve("model.onnx");
        Files.writeString(bogus, "garbage");
        assertThrows(IOException.class, () -> SavedModelExporter.export(bogus, dir.resolve("out")));
    }
}
