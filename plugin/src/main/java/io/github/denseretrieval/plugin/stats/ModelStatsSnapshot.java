package io.github.denseretrieval.plugin.stats;

import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.io.stream.Writeable;
import org.elasticsearch.xcontent.ToXContentObject;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;

/** One model's counters on one node at one moment, as {@code GET _dense/_stats} shows them. */
public record ModelStatsSnapshot(long passages, long passagesRejected, long passagesFailed, int queued, long chunkedDocuments,
                                 long chunks, long cappedDocuments, long questions,
                                 long questionsFailed, long apiTexts, long forwardPasses, long truncatedTexts,
                                 LatencySummary batchLatency, LatencySummary questionLatency) implements Writeable, ToXContentObject {

    public static ModelStatsSnapshot read(StreamInput in) throws IOException {
        return new ModelStatsSnapshot(in.readVLong(), in.readVLong(), in.readVLong(), in.readVInt(), in.readVLong(), in.readVLong(),
            in.readVLong(), in.readVLong(), in.readVLong(),
            in.readVLong(), in.readVLong(), in.readVLong(), LatencySummary.read(in), LatencySummary.read(in));
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeVLong(passages);
        out.writeVLong(passagesRejected);
        out.writeVLong(passagesFailed);
        out.writeVInt(queued);
        out.writeVLong(chunkedDocuments);
        out.writeVLong(chunks);
        out.writeVLong(cappedDocuments);
        out.writeVLong(questions);
        out.writeVLong(questionsFailed);
        out.writeVLong(apiTexts);
        out.writeVLong(forwardPasses);
        out.writeVLong(truncatedTexts);
        batchLatency.writeTo(out);
        questionLatency.writeTo(out);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        builder.startObject("ingest").field("passages", passages).field("rejected", passagesRejected).field("failed", passagesFailed)
            .field("queued", queued).field("chunked_documents", chunkedDocuments).field("chunks", chunks)
            .field("capped_documents", cappedDocuments).endObject();
        builder.startObject("questions").field("count", questions).field("failed", questionsFailed).endObject();
        builder.startObject("api").field("texts", apiTexts).endObject();
        builder.field("forward_passes", forwardPasses);
        builder.field("truncated_texts", truncatedTexts);
        builder.field("batch_latency_ms", batchLatency);
        builder.field("question_latency_ms", questionLatency);
        return builder.endObject();
    }
}
