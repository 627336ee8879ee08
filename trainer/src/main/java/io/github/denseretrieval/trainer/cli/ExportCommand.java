package io.github.denseretrieval.trainer.cli;

import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.trainer.export.ModelFolderExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code trainer export}: converts an ONNX model folder into a TensorFlow SavedModel model folder. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Convert an ONNX model folder (BERT-style) into a TensorFlow SavedModel model folder.")
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, description = "ONNX model folder.")
    Path from;

    @Option(names = "--to", required = true, description = "Output model folder (created; its saved_model/ must not exist yet).")
    Path to;

    @Option(names = "--format", defaultValue = "savedmodel", description = "Output format; only 'savedmodel' (default).")
    String format;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("savedmodel")) {
            throw new IllegalArgumentException("unknown --format [" + format + "]; valid values are [savedmodel]");
        }
        long start = System.nanoTime();
        ModelManifest m = ModelFolderExport.toTensorFlow(from, to);
        System.out.printf("exported %s as a TensorFlow SavedModel to %s in %.1f s%n", m.name(), to, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
