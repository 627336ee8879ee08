package io.github.denseretrieval.trainer.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.trainer.train.TrainingExample;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads labelled training data into {@link TrainingExample}s, one per (question, positive) pair,
 * from the three formats operators have: a BEIR folder's qrels split, DPR's training JSON and MS
 * MARCO's triples TSV. Errors name the file and the record.
 */
public final class TrainingData {

    private TrainingData() {}

    /**
     * Every judged-relevant (score > 0) pair of {@code split}, skipping {@code heldOut} questions;
     * negatives are left to the miner.
     */
    public static List<TrainingExample> fromBeir(BeirDataset dataset, String split, Set<String> heldOut) throws IOException {
        Qrels qrels = dataset.qrels(split);
        Map<String, String> queries = dataset.queriesOf(qrels);
        Map<String, Passage> corpus = corpusById(dataset);
        List<TrainingExample> out = new ArrayList<>();
        for (String qid : qrels.queryIds()) {
            if (heldOut.contains(qid)) {
                continue;
            }
            Set<String> positives = new HashSet<>();
            qrels.judgements(qid).forEach((doc, grade) -> {
                if (grade > 0) {
                    positives.add(doc);
                }
            });
            for (String doc : positives.stream().sorted().toList()) {
                Passage p = corpus.get(doc);
                if (p == null) {
                    throw new IllegalArgumentException("qrels split [" + split + "] judges passage [" + doc + "] that corpus.jsonl does not have");
                }
                out.add(new TrainingExample(qid, queries.get(qid), p, List.of(), positives));
            }
        }
        return out;
    }

    /** The corpus by passage id, in file order. */
    public static Map<String, Passage> corpusById(BeirDataset dataset) throws IOException {
        Map<String, Passage> corpus = new java.util.LinkedHashMap<>();
        dataset.forEachPassage(p -> corpus.put(p.id(), p));
        return corpus;
    }

    /**
     * DPR's format: a JSON array of {@code {question, positive_ctxs: [{title, text, passage_id?}],
     * hard_negative_ctxs: [...]}}. Hard negatives given by the file are kept (the miner is then
     * not needed); passages without an id get one derived from their text.
     */
    public static List<TrainingExample> fromDprJson(Path file) throws IOException {
        JsonElement root;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(reader);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("DPR training file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonArray()) {
            throw new IllegalArgumentException("DPR training file " + file + " must hold a JSON array of questions");
        }
        List<TrainingExample> out = new ArrayList<>();
        JsonArray items = root.getAsJsonArray();
        for (int i = 0; i < items.size(); i++) {
            String where = file + " item " + i;
            JsonObject item = items.get(i).getAsJsonObject();
            if (!item.has("question") || !item.has("positive_ctxs")) {
                throw new IllegalArgumentException(where + ": needs [question] and [positive_ctxs]");
            }
            String question = item.get("question").getAsString();
            List<Passage> positives = contexts(item.getAsJsonArray("positive_ctxs"));
            List<Passage> negatives = item.has("hard_negative_ctxs") ? contexts(item.getAsJsonArray("hard_negative_ctxs")) : List.of();
            if (positives.isEmpty()) {
                throw new IllegalArgumentException(where + ": [positive_ctxs] is empty");
            }
            Set<String> ids = new HashSet<>();
            positives.forEach(p -> ids.add(p.id()));
            // DPR trains on the first positive of each question.
            String id = item.has("question_id") ? item.get("question_id").getAsString() : "dpr-" + i;
            out.add(new TrainingExample(id, question, positives.get(0), negatives, ids));
        }
        return out;
    }

    private static List<Passage> contexts(JsonArray array) {
        List<Passage> out = new ArrayList<>();
        for (JsonElement e : array) {
            JsonObject o = e.getAsJsonObject();
            String title = o.has("title") ? o.get("title").getAsString() : "";
            String text = o.has("text") ? o.get("text").getAsString() : "";
            String id = o.has("passage_id") ? o.get("passage_id").getAsString()
                : o.has("psg_id") ? o.get("psg_id").getAsString() : textId(title + "\n" + text);
            out.add(new Passage(id, title, text));
        }
        return out;
    }

    /**
     * MS MARCO's triples: {@code question \t positive passage \t negative passage} per line. Each
     * line is one example with its negative; ids are derived from the texts.
     */
    public static List<TrainingExample> fromTriplesTsv(Path file) throws IOException {
        List<TrainingExample> out = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                if (parts.length != 3) {
                    throw new IllegalArgumentException(file + " line " + number + ": expected question<TAB>positive<TAB>negative, found "
                        + parts.length + " fields");
                }
                Passage positive = new Passage(textId(parts[1]), "", parts[1]);
                Passage negative = new Passage(textId(parts[2]), "", parts[2]);
                out.add(new TrainingExample("triple-" + number, parts[0], positive, List.of(negative), Set.of(positive.id())));
            }
        }
        return out;
    }

    /**
     * Writes examples in DPR's format, so mined or denoised negatives can be inspected, reused and
     * read back by {@link #fromDprJson}: the example's positive first in {@code positive_ctxs},
     * then its other judged positives found in {@code corpus}; every context has its
     * {@code passage_id}.
     */
    public static void writeDprJson(List<TrainingExample> examples, Map<String, Passage> corpus, Path file) throws IOException {
        JsonArray array = new JsonArray();
        for (TrainingExample e : examples) {
            JsonObject item = new JsonObject();
            item.addProperty("question_id", e.queryId());
            item.addProperty("question", e.query());
            JsonArray positives = new JsonArray();
            positives.add(context(e.positive()));
            for (String id : e.positiveIds().stream().sorted().toList()) {
                if (!id.equals(e.positive().id()) && corpus.containsKey(id)) {
                    positives.add(context(corpus.get(id)));
                }
            }
            item.add("positive_ctxs", positives);
            JsonArray negatives = new JsonArray();
            e.negatives().forEach(n -> negatives.add(context(n)));
            item.add("hard_negative_ctxs", negatives);
            array.add(item);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, new com.google.gson.GsonBuilder().disableHtmlEscaping().create().toJson(array), StandardCharsets.UTF_8);
    }

    private static JsonObject context(Passage p) {
        JsonObject o = new JsonObject();
        o.addProperty("passage_id", p.id());
        o.addProperty("title", p.title());
        o.addProperty("text", p.text());
        return o;
    }

    private static String textId(String text) {
        return UUID.nameUUIDFromBytes(text.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
