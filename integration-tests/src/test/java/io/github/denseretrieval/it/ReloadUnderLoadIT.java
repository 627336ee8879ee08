package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reloading a model while it is in use costs no document, no search and no node: two clients
 * bulk-ingest through a pipeline of a model whose folder changes and is reloaded every few
 * seconds while another client searches with it. Every bulk item and every search answers 2xx or
 * a retryable 429/503 (never 500), retried items end indexed, the node is alive at the end, and
 * every acknowledged document has its vector.
 */
@ExtendWith(RealNode.class)
class ReloadUnderLoadIT {

    private static final String MODEL = "minilm-reload";
    private static final String INDEX = "reload-under-load";
    private static final String PIPELINE = "minilm-reload";
    private static final Duration LOAD = Duration.ofSeconds(60);
    private static final int MAX_RELOADS = 20;
    private static final int BATCH = 20;
    /** Attempts per bulk item before the test gives up on it (429/503 retried with a pause). */
    private static final int MAX_ATTEMPTS = 20;
    /** How long retries of 429/503 items may go on after the load ends. */
    private static final Duration DRAIN = Duration.ofSeconds(60);

    private static final List<String> QUESTIONS = List.of(
        "what causes malaria", "does aspirin prevent colorectal cancer", "exercise and insulin sensitivity",
        "vitamin D and bone fractures", "how do vaccines train the immune system", "statins and heart attacks");

    private record Passage(String id, String title, String text) {}

    /** What one ingesting client saw. */
    private record IngestOutcome(int ok, int retried, List<String> failures) {}

    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

    @Test
    void reloadsDuringIngestAndSearchLoseNothingAndKeepTheNodeAlive() throws Exception {
        ClusterClient es = RealNode.client();
        Path folder = RealNode.node().configDir().resolve("dense-retrieval/models").resolve(MODEL);
        Files.createDirectories(folder);
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            Files.copy(RealNode.MODELS.resolve("all-minilm-l6-v2").resolve(f), folder.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        RealNode.node().handToNodeUser(folder.getParent());
        assertEquals("loaded", modelStatus(es.sendOk("POST", "/_dense/models/_reload", null)), "model [" + MODEL + "] after the first reload");
        es.sendOk("PUT", "/_ingest/pipeline/" + PIPELINE, "{\"processors\":[{\"dense_encode\":{\"model_id\":\"" + MODEL
            + "\",\"field\":[\"title\",\"text\"],\"target_field\":\"text_vector\"}}]}");
        es.send("DELETE", "/" + INDEX, null);
        es.sendOk("PUT", "/" + INDEX, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":{\"properties\":{"
            + "\"title\":{\"type\":\"text\"},\"text\":{\"type\":\"text\"},"
            + "\"text_vector\":{\"type\":\"dense_vector\",\"dims\":384,\"similarity\":\"dot_product\",\"index\":true}}}}");

        List<Passage> passages = passages(2000);
        long deadline = System.nanoTime() + LOAD.toNanos();
        AtomicInteger reloads = new AtomicInteger();
        AtomicInteger queriesOk = new AtomicInteger();
        AtomicInteger queriesRetryable = new AtomicInteger();
        List<String> otherFailures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<IngestOutcome> ingest = new ArrayList<>();
        try {
            List<Future<IngestOutcome>> ingesters = new ArrayList<>();
            for (int client = 0; client < 2; client++) {
                int c = client;
                ingesters.add(pool.submit(() -> ingest(es, c, passages, deadline)));
            }
            Future<?> reloader = pool.submit(() -> {
                reload(es, folder.resolve("model.json"), deadline, reloads, otherFailures);
                return null;
            });
            Future<?> searcher = pool.submit(() -> {
                search(es, deadline, queriesOk, queriesRetryable, otherFailures);
                return null;
            });
            long waitSeconds = LOAD.plus(DRAIN).plusMinutes(3).toSeconds();
            for (Future<IngestOutcome> f : ingesters) {
                ingest.add(f.get(waitSeconds, TimeUnit.SECONDS));
            }
            reloader.get(waitSeconds, TimeUnit.SECONDS);
            searcher.get(waitSeconds, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }

        int itemsOk = ingest.stream().mapToInt(IngestOutcome::ok).sum();
        int retried = ingest.stream().mapToInt(IngestOutcome::retried).sum();
        List<String> itemFailures = new ArrayList<>();
        ingest.forEach(o -> itemFailures.addAll(o.failures()));
        System.out.printf(Locale.ROOT, "reload under load: items ok %d, retried %d, failed %d; reloads done %d; queries ok %d, retryable %d; other failures %d%n",
            itemsOk, retried, itemFailures.size(), reloads.get(), queriesOk.get(), queriesRetryable.get(), otherFailures.size());

        ClusterClient.Answer health;
        try {
            health = es.send("GET", "/_cluster/health", null);
        } catch (IOException e) {
            fail("the node died under reloads (process alive: " + RealNode.node().isAlive() + "): " + e + "\n" + RealNode.node().logTail());
            return;
        }
        assertEquals(200, health.status(), health.body().toString());
        assertEquals(List.of(), firstFew(itemFailures), "bulk items must end 2xx (429/503 retried), never 500");
        assertEquals(List.of(), firstFew(otherFailures), "reloads answer 200 and searches 200 or 429/503");
        assertTrue(reloads.get() >= 5, "too few reloads happened under load to mean anything: " + reloads.get());
        assertTrue(itemsOk > 0 && queriesOk.get() > 0, "the load did not run: items ok " + itemsOk + ", queries ok " + queriesOk.get());

        es.sendOk("POST", "/" + INDEX + "/_refresh", null);
        long docs = es.sendOk("GET", "/" + INDEX + "/_count", null).path("count").asLong();
        long withVector = es.sendOk("POST", "/" + INDEX + "/_count", "{\"query\":{\"exists\":{\"field\":\"text_vector\"}}}").path("count").asLong();
        assertEquals(acknowledged.size(), itemsOk, "each acknowledged id is counted once");
        assertEquals(acknowledged.size(), docs, "documents in the index vs acknowledged");
        assertEquals(acknowledged.size(), withVector, "documents with a vector vs acknowledged");
    }

    @AfterAll
    static void removeModelAndIndex() throws Exception {
        RealNode.removeTestArtifacts(INDEX, PIPELINE, MODEL);
    }

    /**
     * Bulk-ingests batches of {@link #BATCH} passages until {@code deadline}, then retries what is
     * still pending for at most {@link #DRAIN}. 429 and 503 items are retried (at most
     * {@link #MAX_ATTEMPTS} times each); any other failure is recorded.
     */
    private IngestOutcome ingest(ClusterClient es, int client, List<Passage> passages, long deadline) throws IOException, InterruptedException {
        Deque<Passage> pending = new ArrayDeque<>();
        Map<String, Integer> attempts = new HashMap<>();
        List<String> failures = new ArrayList<>();
        int ok = 0;
        int retried = 0;
        int next = client;
        long drainDeadline = deadline + DRAIN.toNanos();
        int sent = 0;
        while (System.nanoTime() < drainDeadline && (System.nanoTime() < deadline || !pending.isEmpty())) {
            List<Passage> batch = new ArrayList<>();
            while (batch.size() < BATCH && !pending.isEmpty()) {
                batch.add(pending.poll());
            }
            while (batch.size() < BATCH && System.nanoTime() < deadline) {
                Passage p = passages.get(next % passages.size());
                batch.add(new Passage("c" + client + "-" + sent++, p.title(), p.text()));
                next += 2;
            }
            if (batch.isEmpty()) {
                break;
            }
            StringBuilder body = new StringBuilder();
            for (Passage p : batch) {
                attempts.merge(p.id(), 1, Integer::sum);
                body.append("{\"index\":{\"_id\":\"").append(p.id()).append("\"}}\n")
                    .append("{\"title\":").append(ClusterClient.jsonString(p.title())).append(",\"text\":")
                    .append(ClusterClient.jsonString(p.text())).append("}\n");
            }
            ClusterClient.Answer a;
            try {
                a = es.send("POST", "/" + INDEX + "/_bulk?pipeline=" + PIPELINE, body.toString());
            } catch (IOException e) {
                failures.add("bulk request of client " + client + " failed: " + e);
                break;
            }
            boolean backOff = false;
            if (a.status() == 429 || a.status() == 503) {
                retried += batch.size();
                pending.addAll(batch);
                backOff = true;
            } else if (!a.ok()) {
                failures.add("bulk request answered " + a.status() + ": " + a.body());
                break;
            } else {
                JsonNode items = a.body().path("items");
                for (int i = 0; i < batch.size(); i++) {
                    Passage p = batch.get(i);
                    JsonNode item = items.get(i).path("index");
                    int status = item.path("status").asInt();
                    if (status >= 200 && status < 300) {
                        ok++;
                        acknowledged.add(p.id());
                    } else if ((status == 429 || status == 503) && attempts.get(p.id()) < MAX_ATTEMPTS) {
                        retried++;
                        pending.add(p);
                        backOff = true;
                    } else {
                        failures.add(p.id() + " (attempt " + attempts.get(p.id()) + ") answered " + status + ": " + item.path("error"));
                    }
                }
            }
            if (backOff) {
                Thread.sleep(200);
            }
        }
        pending.forEach(p -> failures.add(p.id() + " still not indexed after " + attempts.get(p.id()) + " attempts"));
        return new IngestOutcome(ok, retried, failures);
    }

    /** Changes the folder (the registry then re-opens the model) and reloads, about every LOAD / MAX_RELOADS. */
    private static void reload(ClusterClient es, Path modelJson, long deadline, AtomicInteger reloads, List<String> failures)
        throws IOException, InterruptedException {
        long interval = LOAD.toMillis() / MAX_RELOADS;
        Thread.sleep(interval);
        while (System.nanoTime() < deadline && reloads.get() < MAX_RELOADS) {
            Files.setLastModifiedTime(modelJson, FileTime.fromMillis(System.currentTimeMillis()));
            ClusterClient.Answer a;
            try {
                a = es.send("POST", "/_dense/models/_reload", null);
            } catch (IOException e) {
                failures.add("reload " + (reloads.get() + 1) + " failed: " + e);
                return;
            }
            if (!a.ok() || !"loaded".equals(modelStatus(a.body()))) {
                failures.add("reload " + (reloads.get() + 1) + " answered " + a.status() + ": " + a.body());
            }
            reloads.incrementAndGet();
            Thread.sleep(interval);
        }
    }

    private static void search(ClusterClient es, long deadline, AtomicInteger ok, AtomicInteger retryable, List<String> failures)
        throws InterruptedException {
        int n = 0;
        while (System.nanoTime() < deadline) {
            String q = QUESTIONS.get(n++ % QUESTIONS.size());
            ClusterClient.Answer a;
            try {
                a = es.send("POST", "/" + INDEX + "/_search", "{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":"
                    + ClusterClient.jsonString(q) + ",\"model_id\":\"" + MODEL + "\",\"k\":5}}}");
            } catch (IOException e) {
                failures.add("search " + n + " failed: " + e);
                return;
            }
            if (a.status() == 200) {
                ok.incrementAndGet();
            } else if (a.status() == 429 || a.status() == 503) {
                retryable.incrementAndGet();
            } else {
                failures.add("search " + n + " answered " + a.status() + ": " + a.body());
            }
            Thread.sleep(100);
        }
    }

    /** The status ({@code loaded}/{@code failed}) of {@link #MODEL} in a models answer, or what is there instead. */
    private static String modelStatus(JsonNode modelsAnswer) {
        for (JsonNode node : modelsAnswer.path("nodes")) {
            for (JsonNode m : node.path("models")) {
                if (MODEL.equals(m.path("model_id").asText())) {
                    return m.path("status").asText();
                }
            }
        }
        return "missing from " + modelsAnswer;
    }

    /** SciFact passages when the data is present, else generated ones of similar length. */
    private static List<Passage> passages(int max) throws IOException {
        List<Passage> out = new ArrayList<>();
        Path corpus = RealNode.SCIFACT.resolve("corpus.jsonl");
        if (Files.isRegularFile(corpus)) {
            try (BufferedReader in = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null && out.size() < max; line = in.readLine()) {
                    JsonNode doc = ClusterClient.json().readTree(line);
                    if (!doc.path("text").asText().isBlank()) {
                        out.add(new Passage(doc.path("_id").asText(), doc.path("title").asText(), doc.path("text").asText()));
                    }
                }
            }
            return out;
        }
        String[] words = ("cell protein patients risk disease treatment gene expression cancer trial immune response dose "
            + "mortality infection receptor pathway cohort placebo therapy mice tumour insulin vaccine").split(" ");
        Random random = new Random(42);
        for (int i = 0; i < max; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 150; w++) {
                text.append(words[random.nextInt(words.length)]).append(w % 15 == 14 ? ". " : " ");
            }
            out.add(new Passage("g" + i, "Generated passage " + i, text.toString().trim()));
        }
        return out;
    }

    private static List<String> firstFew(List<String> failures) {
        synchronized (failures) {
            return List.copyOf(failures.subList(0, Math.min(5, failures.size())));
        }
    }
}
