package io.github.denseretrieval.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every request of the Kibana Dev Tools console file answers 2xx on a real node, in order. */
@ExtendWith(RealNode.class)
class ConsoleFileIT {

    @Test
    void everyConsoleRequestSucceedsOnARealNode() throws Exception {
        List<ConsoleFile.ConsoleRequest> requests = ConsoleFile.parse(RealNode.ES_CONFIG.resolve("console/dev-tools.txt"));
        assertTrue(requests.size() >= 15, "console file should hold the full walk-through, found " + requests.size());
        for (ConsoleFile.ConsoleRequest r : requests) {
            ClusterClient.Answer a = RealNode.client().send(r.method(), r.path(), r.body());
            assertTrue(a.ok(), "line " + r.line() + ": " + r.method() + " " + r.path() + " answered " + a.status() + ": " + a.body());
            if (r.path().contains("_bulk")) {
                assertEquals(false, a.body().path("errors").asBoolean(), "bulk items failed: " + a.body());
            }
            if (r.path().endsWith("_search")) {
                assertTrue(a.body().path("hits").path("hits").size() > 0, "line " + r.line() + ": no hits: " + a.body());
            }
        }
    }
}
