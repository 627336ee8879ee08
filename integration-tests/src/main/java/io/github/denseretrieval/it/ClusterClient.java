package io.github.denseretrieval.it;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.http.HttpHost;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;

/**
 * HTTP access to a cluster through the official Elasticsearch Java client: the typed
 * {@link ElasticsearchClient} for cluster-level calls, and its low-level {@link RestClient} for
 * requests that are plain JSON (the plugin's own APIs, queries written as in Kibana Dev Tools).
 * Thread-safe.
 */
public final class ClusterClient implements Closeable {

    /** A JSON answer with its HTTP status (4xx/5xx included: callers check the status). */
    public record Answer(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RestClient rest;
    private final ElasticsearchClient client;
    private final RestClientTransport transport;

    public ClusterClient(String url) {
        URI uri = URI.create(url);
        this.rest = RestClient.builder(new HttpHost(uri.getHost(), uri.getPort(), uri.getScheme()))
            .setRequestConfigCallback(c -> c.setSocketTimeout(300_000).setConnectTimeout(5_000))
            .build();
        this.transport = new RestClientTransport(rest, new JacksonJsonpMapper());
        this.client = new ElasticsearchClient(transport);
    }

    public ElasticsearchClient typed() {
        return client;
    }

    /** Sends {@code body} (JSON or NDJSON, may be null) and returns the answer, whatever its status. */
    public Answer send(String method, String path, String body) throws IOException {
        Request request = new Request(method, path);
        if (body != null) {
            ContentType type = path.contains("_bulk") ? ContentType.create("application/x-ndjson", java.nio.charset.StandardCharsets.UTF_8) : ContentType.APPLICATION_JSON;
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
