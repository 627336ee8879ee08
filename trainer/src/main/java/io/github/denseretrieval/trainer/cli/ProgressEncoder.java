package io.github.denseretrieval.trainer.cli;

import io.github.denseretrieval.encoder.TextEncoder;

import java.util.List;
import java.util.Locale;

/**
 * Encodes a long list of passages in chunks and prints a progress line (done/total, rate, ETA)
 * to stderr, so that a multi-minute corpus encoding is not silent.
 */
final class ProgressEncoder {

    private static final int CHUNK = 256;

    private final TextEncoder encoder;

    ProgressEncoder(TextEncoder encoder) {
        this.encoder = encoder;
    }

    float[][] encodePassages(List<String> texts) {
        float[][] out = new float[texts.size()][];
        long start = System.nanoTime();
        for (int from = 0; from < texts.size(); from += CHUNK) {
            int to = Math.min(texts.size(), from + CHUNK);
            float[][] chunk = encoder.encodePassages(texts.subList(from, to));
            System.arraycopy(chunk, 0, out, from, chunk.length);
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = to / seconds;
            System.err.printf(Locale.ROOT, "\rencoding passages %d/%d  %.1f/s  ETA %.0fs   ", to, texts.size(), rate,
                (texts.size() - to) / rate);
        }
        System.err.println();
        return out;
    }
}
