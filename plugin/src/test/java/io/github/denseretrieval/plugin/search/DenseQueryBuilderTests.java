package io.github.denseretrieval.plugin.search;

import org.elasticsearch.common.io.stream.BytesStreamOutput;
import org.elasticsearch.common.io.stream.NamedWriteableAwareStreamInput;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.xcontent.XContentHelper;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.TermQueryBuilder;
import org.elasticsearch.xcontent.XContentParser;
import org.elasticsearch.xcontent.XContentParserConfiguration;
import org.elasticsearch.xcontent.XContentType;
import org.elasticsearch.xcontent.json.JsonXContent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenseQueryBuilderTests {

    private static DenseQueryBuilder parse(String json) throws IOException {
        try (XContentParser parser = JsonXContent.jsonXContent.createParser(XContentParserConfiguration.EMPTY, json)) {
            parser.nextToken();
            return DenseQueryBuilder.fromXContent(parser);
        }
    }

    @Test
    void parsesDefaultsAndOptions() throws IOException {
        DenseQueryBuilder q = parse("{\"field\":\"v\",\"query\":\"malaria\"}");
        assertEquals(10, q.k());
        assertEquals(100, q.numCandidates());
        assertEquals(null, q.modelId());
        DenseQueryBuilder full = parse("{\"field\":\"v\",\"query\":\"malaria\",\"model_id\":\"m\",\"k\":5,\"num_candidates\":50,\"boost\":2.0,\"_name\":\"d\"}");
        assertEquals("m", full.modelId());
        assertEquals(5, full.k());
        assertEquals(50, full.numCandidates());
        assertEquals(2.0f, full.boost());
        assertEquals("d", full.queryName());
    }

    @Test
    void roundTripsThroughXContentAndTheWire() throws IOException {
        DenseQueryBuilder original = new DenseQueryBuilder("v", "what causes malaria", "m", 7, 70, List.of(new TermQueryBuilder("lang", "en")));
        String json = XContentHelper.toXContent(original, XContentType.JSON, false).utf8ToString();
        assertTrue(json.startsWith("{\"dense\":{"), json);
        String inner = json.substring("{\"dense\":".length(), json.length() - 1);
        // Parsing the filter needs the query registry; compare without it via the wire format below.
        assertTrue(inner.contains("\"num_candidates\":70"), inner);

        NamedWriteableRegistry registry = new NamedWriteableRegistry(List.of(
            new NamedWriteableRegistry.Entry(QueryBuilder.class, TermQueryBuilder.NAME, TermQueryBuilder::new)));
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            original.writeTo(out);
            try (StreamInput in = new NamedWriteableAwareStreamInput(out.bytes().streamInput(), registry)) {
                DenseQueryBuilder copy = new DenseQueryBuilder(in);
                assertEquals(original, copy);
                assertEquals(original.hashCode(), copy.hashCode());
            }
        }
    }

    @Test
    void rejectsBadOptionsNamingThem() {
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> new DenseQueryBuilder("v", "q", null, 0, null, null));
        assertTrue(k.getMessage().contains("[k]"), k.getMessage());
        IllegalArgumentException nc = assertThrows(IllegalArgumentException.class, () -> new DenseQueryBuilder("v", "q", null, 10, 5, null));
        assertTrue(nc.getMessage().contains("[num_candidates]"), nc.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> new DenseQueryBuilder("v", " ", null, null, null, null));
        assertTrue(empty.getMessage().contains("[query]"), empty.getMessage());
    }
}
