package io.github.denseretrieval.it;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.entity.ContentType;
import org.apache.http.message.BasicHeader;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * HTTP access to a cluster through the official Elasticsearch Java client: the typed
 * {@link ElasticsearchClient} for cluster-level calls, and its low-level {@link RestClient} for
 * requests that are plain JSON (the plugin's own APIs, queries written as in Kibana Dev Tools).
 * Anonymous, or one user's HTTP basic credentials on every request. Thread-safe.
 */
public final class ClusterClient implements Closeable {

    /** A JSON answer with its HTTP status (4xx/5xx included: callers check the status). */
    public record Answer(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How long a request may wait for its answer unless the constructor says otherwise (a full ingest can be slow). */
    private static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofMinutes(5);

    private final String url;
    private final RestClient rest;
    private final ElasticsearchClient client;
    private final RestClientTransport transport;

    /** A client that sends no credentials (a cluster with security off, or a test of the 401). */
    public ClusterClient(String url) {
        this(url, new Header[0], DEFAULT_SOCKET_TIMEOUT);
    }

    /** A client that authenticates every request as {@code username} with HTTP basic authentication. */
    public ClusterClient(String url, String username, String password) {
        this(url, username, password, DEFAULT_SOCKET_TIMEOUT);
    }

    /**
     * A client that authenticates as {@code username} and gives up on an answer after
     * {@code socketTimeout} without a byte (load tests bound every request).
     */
    public ClusterClient(String url, String username, String password, Duration socketTimeout) {
        this(url, new Header[] {new BasicHeader("Authorization",
            "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)))}, socketTimeout);
    }

    private ClusterClient(String url, Header[] defaultHeaders, Duration socketTimeout) {
        URI uri = URI.create(url);
        this.url = url;
        this.rest = RestClient.builder(new HttpHost(uri.getHost(), uri.getPort(), uri.getScheme()))
            .setRequestConfigCallback(c -> c.setSocketTimeout((int) socketTimeout.toMillis()).setConnectTimeout(5_000))
            .setDefaultHeaders(defaultHeaders)
            .build();
        this.transport = new RestClientTransport(rest, new JacksonJsonpMapper());
        this.client = new ElasticsearchClient(transport);
    }

    /** The node this client sends to. */
    public String url() {
        return url;
    }

    public ElasticsearchClient typed() {
        return client;
    }

    /** Sends {@code body} (JSON or NDJSON, may be null) and returns the answer, whatever its status. */
    public Answer send(String method, String path, String body) throws IOException {
        Request request = new Request(method, path);
        if (body != null) {
            ContentType type = path.contains("_bulk") ? ContentType.create("application/x-ndjson", StandardCharsets.UTF_8) : ContentType.APPLICATION_JSON;
            request.setEntity(new NStringEntity(body, type));
        }
        Response response;
        try {
            response = rest.performRequest(request);
        } catch (ResponseException e) {
            response = e.getResponse();
        }
        byte[] bytes = response.getEntity() == null ? new byte[0] : response.getEntity().getContent().readAllBytes();
        JsonNode json = bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
        return new Answer(response.getStatusLine().getStatusCode(), json);
    }

    /** Like {@link #send} but fails with the response body unless the status is 2xx. */
    public JsonNode sendOk(String method, String path, String body) throws IOException {
        Answer a = send(method, path, body);
        if (!a.ok()) {
            throw new IOException(method + " " + path + " answered " + a.status() + ": " + a.body());
        }
        return a.body();
    }

    public static ObjectMapper json() {
        return JSON;
    }

    /** {@code value} as a JSON string literal, quotes and escapes included. */
    public static String jsonString(String value) {
        return JSON.getNodeFactory().textNode(value).toString();
    }

    @Override
    public void close() throws IOException {
        transport.close();
    }
}
