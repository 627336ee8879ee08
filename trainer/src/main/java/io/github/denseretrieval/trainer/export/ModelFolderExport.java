package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.encoder.EngineType;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.TextEncoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Turns an ONNX model folder into a TensorFlow model folder: the same tokenizer and manifest
 * (engine {@code tensorflow}, weights {@code saved_model}) with the weights converted by
 * {@link SavedModelExporter}. The result is served by the encoder library's TensorFlow session.
 */
public final class ModelFolderExport {

    /** Directory name of the SavedModel inside a TensorFlow model folder. */
    public static final String SAVED_MODEL_DIR = "saved_model";

    private ModelFolderExport() {}

    /** Converts {@code onnxFolder} into {@code outFolder} (created if absent). */
    public static ModelManifest toTensorFlow(Path onnxFolder, Path outFolder) throws IOException {
        ModelManifest source = ModelManifest.read(onnxFolder);
        if (source.engine() != EngineType.ONNX) {
            throw new IllegalArgumentException("model folder [" + onnxFolder + "] is not an ONNX model folder (engine ["
                + source.engine().jsonName() + "])");
        }
        Files.createDirectories(outFolder);
        SavedModelExporter.export(onnxFolder.resolve(source.weights()), outFolder.resolve(SAVED_MODEL_DIR));
        Files.copy(onnxFolder.resolve(TextEncoder.TOKENIZER_FILE), outFolder.resolve(TextEncoder.TOKENIZER_FILE),
            StandardCopyOption.REPLACE_EXISTING);
        ModelManifest converted = source.withEngine(EngineType.TENSORFLOW, SAVED_MODEL_DIR);
        converted.provenance().addProperty("converted_from", onnxFolder.toAbsolutePath().normalize().toString());
        converted.write(outFolder);
        return converted;
    }
}
