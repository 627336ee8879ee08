package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Passages for load tests, from SciFact (generated text of similar length when SciFact is not
 * there): {@link #shortOnes short ones}, a title with the first sentences of its abstract (at most
 * {@value #MAX_CHARS} characters, so a forward pass is short and a two-core machine ingests dozens
 * a second), or {@link #fullAbstracts full abstracts} (up to the model's 256 tokens: several times
 * slower to encode). Ids are {@code <prefix>-<n>}, unique within one call; beyond the corpus size
 * passages repeat with new ids.
 */
final class Passages {

    static final int MAX_CHARS = 300;

    /** One passage; the pipeline encodes {@link #joined()}. */
    record Passage(String id, String title, String text) {

        /** What {@code dense_encode} with {@code field: [title, text]} encodes: both joined by its default separator. */
        String joined() {
            return title + " " + text;
        }

        /** The passage as a bulk {@code index} action and source, two NDJSON lines. */
        void appendBulk(StringBuilder out) {
            out.append("{\"index\":{\"_id\":").append(ClusterClient.jsonString(id)).append("}}\n")
                .append("{\"title\":").append(ClusterClient.jsonString(title)).append(",\"text\":").append(ClusterClient.jsonString(text))
                .append("}\n");
        }
    }

    /** Title, full abstract, short abstract. */
    private static List<String[]> corpus;

    private Passages() {}

    /** {@code n} short passages with ids {@code <prefix>-0} .. {@code <prefix>-(n-1)}. */
    static List<Passage> shortOnes(int n, String prefix) {
        return take(n, prefix, 2);
    }

    /** {@code n} passages with whole abstracts, ids {@code <prefix>-0} .. {@code <prefix>-(n-1)}. */
    static List<Passage> fullAbstracts(int n, String prefix) {
        return take(n, prefix, 1);
    }

    private static List<Passage> take(int n, String prefix, int textColumn) {
        List<String[]> source = corpus();
        List<Passage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String[] p = source.get(i % source.size());
            out.add(new Passage(prefix + "-" + i, p[0], p[textColumn]));
        }
        return out;
    }

    private static synchronized List<String[]> corpus() {
        if (corpus == null) {
            try {
                corpus = read();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return corpus;
    }

    private static List<String[]> read() throws IOException {
        List<String[]> out = new ArrayList<>();
        Path file = RealNode.SCIFACT.resolve("corpus.jsonl");
        if (Files.isRegularFile(file)) {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    JsonNode doc = ClusterClient.json().readTree(line);
                    String text = doc.path("text").asText().trim();
                    if (!text.isBlank() && !doc.path("title").asText().isBlank()) {
                        out.add(new String[] {doc.path("title").asText(), text, shorten(text)});
                    }
                }
            }
            return out;
        }
        String[] words = ("cell protein patients risk disease treatment gene expression cancer trial immune response dose "
            + "mortality infection receptor pathway cohort placebo therapy mice tumour insulin vaccine").split(" ");
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 40; w++) {
                text.append(words[random.nextInt(words.length)]).append(w % 15 == 14 ? ". " : " ");
            }
            String full = text.toString().trim();
            out.add(new String[] {"Generated passage " + i, full + " " + full + " " + full, full});
        }
        return out;
    }

    /** The first sentences of {@code text} within {@link #MAX_CHARS} characters. */
    private static String shorten(String text) {
        if (text.length() <= MAX_CHARS) {
            return text.trim();
        }
        String cut = text.substring(0, MAX_CHARS);
        int end = cut.lastIndexOf(". ");
        return (end > 100 ? cut.substring(0, end + 1) : cut).trim();
    }
}
