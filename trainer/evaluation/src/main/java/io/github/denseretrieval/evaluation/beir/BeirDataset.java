package io.github.denseretrieval.evaluation.beir;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.denseretrieval.evaluation.metrics.NumberedLines;
import io.github.denseretrieval.evaluation.metrics.Qrels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A dataset in the BEIR layout: {@code corpus.jsonl} ({@code _id}, {@code title}, {@code text}),
 * {@code queries.jsonl} ({@code _id}, {@code text}) and {@code qrels/<split>.tsv}. Files are read
 * when asked for, so a large corpus can be streamed with {@link #forEachPassage}. Errors name the
 * file and line. Immutable; thread-safe.
 */
public final class BeirDataset {

    private final Path dir;

    private BeirDataset(Path dir) {
        this.dir = dir;
    }

    /** Opens {@code dir}, checking that it looks like a BEIR dataset. */
    public static BeirDataset open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("BEIR dataset folder not found: " + dir
                + " (expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv)");
        }
        for (String required : List.of("corpus.jsonl", "queries.jsonl", "qrels")) {
            if (!Files.exists(dir.resolve(required))) {
                throw new IllegalArgumentException("not a BEIR dataset folder: " + dir + " has no " + required
                    + " (expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv)");
            }
        }
        return new BeirDataset(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Calls {@code consumer} for each passage of {@code corpus.jsonl}, in file order. */
    public void forEachPassage(Consumer<Passage> consumer) throws IOException {
        forEachJsonLine(dir.resolve("corpus.jsonl"), (o, where) -> consumer.accept(
            new Passage(requiredString(o, "_id", where), optionalString(o, "title"), optionalString(o, "text"))));
    }

    /** The whole corpus, in file order. */
    public List<Passage> corpus() throws IOException {
        List<Passage> out = new ArrayList<>();
        forEachPassage(out::add);
        return out;
    }

    /** All questions by id, in file order. */
    public Map<String, String> queries() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        forEachJsonLine(dir.resolve("queries.jsonl"), (o, where) -> out.put(requiredString(o, "_id", where), optionalString(o, "text")));
        return out;
    }

    /** The judgements of {@code split}; an unknown split fails listing the available ones. */
    public Qrels qrels(String split) throws IOException {
        Path file = dir.resolve("qrels").resolve(split + ".tsv");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("split [" + split + "] not found in " + dir.resolve("qrels") + "; available splits: " + splits());
        }
        return Qrels.read(file);
    }

    /** Split names available under {@code qrels/}. */
    public List<String> splits() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("qrels"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tsv")).map(n -> n.substring(0, n.length() - 4))
                .sorted().toList();
        }
    }

    /** The questions that {@code qrels} judges, in qrels order; fails naming a judged question missing from queries.jsonl. */
    public Map<String, String> queriesOf(Qrels qrels) throws IOException {
        Map<String, String> all = queries();
        Map<String, String> out = new LinkedHashMap<>();
        for (String qid : qrels.queryIds()) {
            String text = all.get(qid);
            if (text == null) {
                throw new IllegalArgumentException("qrels names question [" + qid + "] that " + dir.resolve("queries.jsonl") + " does not have");
            }
            out.put(qid, text);
        }
        return out;
    }

    /** Problems of {@code qrels} against this dataset (ids it names that do not exist); empty when consistent. */
    public List<String> validate(Qrels qrels) throws IOException {
        Set<String> queryIds = queries().keySet();
        Set<String> docIds = new HashSet<>();
        forEachPassage(p -> docIds.add(p.id()));
        List<String> problems = new ArrayList<>();
        for (String qid : qrels.queryIds()) {
            if (!queryIds.contains(qid)) {
                problems.add("question [" + qid + "] is judged but not in queries.jsonl");
            }
            for (String doc : qrels.judgements(qid).keySet()) {
                if (!docIds.contains(doc)) {
                    problems.add("question [" + qid + "] judges document [" + doc + "] that is not in corpus.jsonl");
                }
            }
        }
        return problems;
    }

    private interface LineHandler {
        void accept(JsonObject object, String where);
    }

    private static void forEachJsonLine(Path file, LineHandler handler) throws IOException {
        NumberedLines.forEach(file, (line, number) -> {
            String where = file + " line " + number;
            JsonElement json;
            try {
                json = JsonParser.parseString(line);
            } catch (JsonParseException e) {
                throw new IllegalArgumentException(where + " is not valid JSON: " + e.getMessage());
            }
            if (!json.isJsonObject()) {
                throw new IllegalArgumentException(where + " is not a JSON object");
            }
            handler.accept(json.getAsJsonObject(), where);
        });
    }

    private static String requiredString(JsonObject o, String field, String where) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull() || !e.isJsonPrimitive()) {
            throw new IllegalArgumentException(where + " has no [" + field + "]");
        }
        return e.getAsString();
    }

    private static String optionalString(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }
}
