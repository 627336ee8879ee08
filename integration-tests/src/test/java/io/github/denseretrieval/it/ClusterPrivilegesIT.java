package io.github.denseretrieval.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The {@link PrivilegeMatrix} (the README's {@code roles.yml}, verbatim) holds on every node of a
 * three-node cluster with security on: whichever node coordinates, a {@code read}-only user
 * searches with {@code dense}, {@code knn} + {@code dense_encode} and {@code hybrid} (the question
 * is encoded on that node with no privilege of its own) and gets 403 on another index and on the
 * model APIs; {@code monitor} lists models of all three nodes; {@code manage} reloads and encodes;
 * no or wrong credentials get 401. The same cells in reduced and full runs (they take seconds).
 */
@ExtendWith(SecuredCluster.class)
class ClusterPrivilegesIT {

    private static final List<PrivilegeMatrix.Clients> CLIENTS = new ArrayList<>();
    /** Statuses of the cells that held, for the closing figure. */
    private static final StatusCounts HELD = new StatusCounts();

    @BeforeAll
    static void ingestAsAdmin() throws IOException {
        for (ElasticsearchNode n : SecuredCluster.cluster().nodes()) {
            CLIENTS.add(new PrivilegeMatrix.Clients(n.url()));
        }
        PrivilegeMatrix.setUp(SecuredCluster.cluster().admin(), 1);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        System.out.printf("[cluster] privilege matrix: %d of %d cells held (%d cells x %d nodes), by status %s%n", HELD.total(),
            PrivilegeMatrix.cells().count() * SecuredCluster.NODES, PrivilegeMatrix.cells().count(), SecuredCluster.NODES, HELD);
        if (SecuredCluster.cluster() != null) {
            PrivilegeMatrix.tearDown(SecuredCluster.cluster().admin());
        }
        for (PrivilegeMatrix.Clients c : CLIENTS) {
            c.close();
        }
        CLIENTS.clear();
    }

    static Stream<Arguments> cellsOnEveryNode() {
        return PrivilegeMatrix.cells().flatMap(cell -> IntStream.range(0, SecuredCluster.NODES)
            .mapToObj(node -> Arguments.of("node-" + (node + 1), cell)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cellsOnEveryNode")
    void privilegeMatrixHoldsOnEveryNode(String node, PrivilegeMatrix.Cell cell) throws IOException {
        PrivilegeMatrix.check(cell, CLIENTS.get(Integer.parseInt(node.substring(5)) - 1), node, SecuredCluster.NODES);
        HELD.add(cell.status());
    }
}
