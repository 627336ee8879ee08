package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trainer evaluate}'s cluster mode without a cluster: how it reads the search bodies and
 * how it fails. The ranking through a real node is checked in integration-tests
 * (SciFactOnRealNodeIT), against the quickstart's own search runner.
 */
class EvaluateCommandTests {

    static final Path ES_CONFIG = Path.of(System.getProperty("es.config.dir", "../es-config"));

    @Test
    void modelIdReplacesEveryModelOfTheHybridBody() throws IOException {
        String hybrid = Files.readString(ES_CONFIG.resolve("searches/hybrid.json"), StandardCharsets.UTF_8);
        assertTrue(hybrid.contains("bge-small-en-v1.5"));
        JsonElement replaced = EvaluateCommand.withModelId(JsonParser.parseString(hybrid), "scifact-dpr");
        assertFalse(replaced.toString().contains("bge-small-en-v1.5"), replaced.toString());
        assertTrue(replaced.toString().contains("\"model_id\":\"scifact-dpr\""));
        // The question's place survives the rewrite, and a question is JSON-escaped into it.
        String filled = ClusterSearch.fill(replaced.toString(), "what is \"p53\"?\n");
        JsonParser.parseString(filled);
        assertTrue(filled.contains("\"what is \\\"p53\\\"?\\n\""), filled);
    }

    @Test
    void badClusterInputFailsWithAMessage() throws IOException {
        Path scifact = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");
        Assumptions.assumeTrue(Files.isDirectory(scifact), "SciFact not present at " + scifact);
        String data = scifact.toString();
        String search = ES_CONFIG.resolve("searches/dense.json").toString();
        // Neither mode, and both modes at once.
        assertEquals(1, TrainerCli.run("evaluate", "--data", data));
        assertEquals(1, TrainerCli.run("evaluate", "--data", data, "--model", "m", "--es-url", "http://127.0.0.1:9200", "--index", "i"));
        // A cluster without an index, or without a body.
        assertEquals(1, TrainerCli.run("evaluate", "--data", data, "--es-url", "http://127.0.0.1:9200", "--search", search));
        assertEquals(1, TrainerCli.run("evaluate", "--data", data, "--es-url", "http://127.0.0.1:9200", "--index", "i", "--search", "missing.json"));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        // Nobody listens there: a message, not a stack trace of the HTTP client.
        assertEquals(1, TrainerCli.run("evaluate", "--data", data, "--es-url", "http://127.0.0.1:" + closedPort, "--index", "i", "--search", search));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSearch("localhost:9200", "i", "{\"q\":\"{{query}}\"}", null));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSearch("http://localhost:9200", "i", "{\"q\":\"x\"}", null));
    }
}
