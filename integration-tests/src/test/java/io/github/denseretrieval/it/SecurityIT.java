package io.github.denseretrieval.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * With Elasticsearch security on, one node enforces the {@link PrivilegeMatrix}: a user who may
 * only {@code read} an index searches it with {@code dense}, {@code knn} + {@code dense_encode}
 * and {@code hybrid} and gets 403 elsewhere; listing models needs {@code monitor};
 * {@code _reload} and {@code _encode} need {@code manage}; no or wrong credentials get 401.
 * {@link ClusterPrivilegesIT} runs the same matrix on every node of a three-node cluster.
 *
 * <p>Runs its own node (security on), not the shared {@link RealNode} (security off).
 */
class SecurityIT {

    private static ElasticsearchNode node;
    private static PrivilegeMatrix.Clients clients;

    @BeforeAll
    static void startSecuredNodeAndIngest() throws Exception {
        Path work = ElasticsearchNode.isRoot() ? Path.of("/tmp/dense-retrieval-it-security") : Path.of("target/es-it-security");
        node = ElasticsearchNode.start(new ElasticsearchNode.Options(Path.of(System.getProperty("es.distribution.zip")),
            Path.of(System.getProperty("plugin.zip")), work, 0, "1g", true, PrivilegeMatrix.security()));
        clients = new PrivilegeMatrix.Clients(node.url());
        PrivilegeMatrix.setUp(clients.of(PrivilegeMatrix.ADMIN), 0);
    }

    @AfterAll
    static void stopNode() throws IOException {
        if (clients != null) {
            clients.close();
        }
        if (node != null) {
            node.close();
        }
    }

    static Stream<PrivilegeMatrix.Cell> privilegeMatrix() {
        return PrivilegeMatrix.cells();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("privilegeMatrix")
    void privilegeMatrixHolds(PrivilegeMatrix.Cell cell) throws IOException {
        PrivilegeMatrix.check(cell, clients, "the single node", 1);
    }
}
