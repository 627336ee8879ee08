package io.github.denseretrieval.evaluation.retrieval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.github.denseretrieval.evaluation.bench.Percentiles;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ranks questions through a running Elasticsearch cluster: each question is put into a search
 * body (one of {@code es-config/searches/}, with {@code "{{query}}"} as the question's place) and
 * sent to {@code <url>/<index>/_search}; the hits' {@code _id}s are the passage ids. This measures
 * what a Kibana user gets from the plugin's queries, HNSW and all, where {@link DenseEvaluation}
 * measures exact search in-process.
 *
 * <p>The one place that fills a search body, sends it and reads the hits: the trainer's
 * {@code evaluate --es-url}, the quickstart and the tests on a real node all go through it, so
 * they score the same requests the same way.
 *
 * <p>Credentials come from the URL's user info ({@code https://user:pass@host:9200}, basic auth)
 * or from an API key; the JDK's HTTP client does the rest, TLS included.
 */
public final class ClusterSearch {

    /** Where a question goes in a search body: a JSON string literal, quotes included. */
    public static final String QUERY_PLACEHOLDER = "\"{{query}}\"";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final String index;
    private final String template;
    private final String authorization;

    /**
     * @param url      the cluster, e.g. {@code http://localhost:9200} (user info, if any, becomes basic auth)
     * @param index    the index holding the corpus, one document per passage with the passage id as {@code _id}
     * @param template a search body with {@link #QUERY_PLACEHOLDER}
     * @param apiKey   an Elasticsearch API key (the encoded form), or null
     */
    public ClusterSearch(String url, String index, String template, String apiKey) {
        if (!template.contains(QUERY_PLACEHOLDER)) {
            throw new IllegalArgumentException("the search body has no " + QUERY_PLACEHOLDER + " where the question goes");
        }
        try {
            JsonParser.parseString(template);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("the search body is not valid JSON: " + e.getMessage(), e);
        }
        URI uri = URI.create(url.endsWith("/") ? url : url + "/");
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("[" + url + "] is not an http(s) URL of a cluster, e.g. http://localhost:9200");
        }
        String userInfo = uri.getRawUserInfo();
        this.base = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + uri.getRawPath());
        this.index = index;
        this.template = template;
        if (apiKey != null && !apiKey.isBlank()) {
            this.authorization = "ApiKey " + apiKey.trim();
        } else if (userInfo != null) {
            String decoded = URLDecoder.decode(userInfo, StandardCharsets.UTF_8);
            this.authorization = "Basic " + Base64.getEncoder().encodeToString(decoded.getBytes(StandardCharsets.UTF_8));
        } else {
            this.authorization = null;
        }
    }

    /** {@code template} with {@code question} in place of {@link #QUERY_PLACEHOLDER}, JSON-escaped. */
    public static String fill(String template, String question) {
        return template.replace(QUERY_PLACEHOLDER, new JsonPrimitive(question).toString());
    }

    /** Documents in the index: the caller compares it with the corpus, so a half-ingested index is not scored silently. */
    public long count() throws IOException {
        return send("GET", index + "/_count", null).get("count").getAsLong();
    }

    /** Every question's hits, in the order the cluster returned them. */
    public Run run(Map<String, String> questions) throws IOException {
        return timedRun(questions, null).run();
    }

    /**
     * Every question's hits and each request's round-trip time as this client saw it (the
     * latency a Kibana user waits for, JSON parsing of the answer excluded). With a
     * {@code progressLabel}, prints how far it got to standard error.
     */
    public TimedRun timedRun(Map<String, String> questions, String progressLabel) throws IOException {
        Run run = new Run();
        double[] latencies = new double[questions.size()];
        int i = 0;
        for (Map.Entry<String, String> q : questions.entrySet()) {
            long start = System.nanoTime();
            String answer = sendForText("POST", index + "/_search", fill(template, q.getValue()));
            latencies[i++] = (System.nanoTime() - start) / 1e6;
            run.put(q.getKey(), hits(JsonParser.parseString(answer).getAsJsonObject()));
            if (progressLabel != null && (i % 25 == 0 || i == questions.size())) {
                System.err.printf(Locale.ROOT, "\r%-6s %d/%d questions   ", progressLabel, i, questions.size());
            }
        }
        if (progressLabel != null) {
            System.err.println();
        }
        return new TimedRun(run, latencies);
    }

    /** A run and each question's latency, in the questions' order. */
    public record TimedRun(Run run, double[] latenciesMs) {
        public double p50() {
            return new Percentiles(latenciesMs).at(50);
        }

        public double p95() {
            return new Percentiles(latenciesMs).at(95);
        }
    }

    private static List<ScoredDoc> hits(JsonObject response) {
        List<ScoredDoc> docs = new ArrayList<>();
        for (JsonElement hit : response.getAsJsonObject("hits").getAsJsonArray("hits")) {
            JsonObject h = hit.getAsJsonObject();
            docs.add(new ScoredDoc(h.get("_id").getAsString(), h.get("_score").getAsDouble()));
        }
        return docs;
    }

    private JsonObject send(String method, String path, String body) throws IOException {
        return JsonParser.parseString(sendForText(method, path, body)).getAsJsonObject();
    }

    private String sendForText(String method, String path, String body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(encodePath(path))).timeout(Duration.ofMinutes(5))
            .header("Content-Type", "application/json")
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new IOException("cannot connect to " + base + " (is Elasticsearch running there?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + base, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new IOException(method + " " + base.resolve(encodePath(path)) + " answered " + response.statusCode() + ": "
                + abbreviate(response.body()));
        }
        return response.body();
    }

    private static String encodePath(String path) {
        int slash = path.indexOf('/');
        // Index names may hold characters that are not legal in a URI path (a pattern with '*' is legal as is).
        return URLEncoder.encode(path.substring(0, slash), StandardCharsets.UTF_8).replace("%2A", "*").replace("%2C", ",")
            + path.substring(slash);
    }

    private static String abbreviate(String body) {
        return body.length() <= 1000 ? body : body.substring(0, 1000) + " ...";
    }
}
