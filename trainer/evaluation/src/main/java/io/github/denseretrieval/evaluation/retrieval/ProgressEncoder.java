package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.encoder.TextEncoder;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.List;

/**
 * Encodes a long list of passages in chunks behind a progress bar (done/total, rate, ETA on
 * stderr), so that a multi-minute corpus encoding is not silent.
 */
public final class ProgressEncoder {

    private static final int CHUNK = 128;

    private final TextEncoder encoder;

    public ProgressEncoder(TextEncoder encoder) {
        this.encoder = encoder;
    }

    public float[][] encodePassages(List<String> texts) {
        float[][] out = new float[texts.size()][];
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("encoding passages").setInitialMax(texts.size())
            .setUnit(" passages", 1).setStyle(ProgressBarStyle.ASCII).showSpeed().continuousUpdate().build()) {
            for (int from = 0; from < texts.size(); from += CHUNK) {
                int to = Math.min(texts.size(), from + CHUNK);
                float[][] chunk = encoder.encodePassages(texts.subList(from, to));
                System.arraycopy(chunk, 0, out, from, chunk.length);
                bar.stepTo(to);
            }
        }
        return out;
    }
}
