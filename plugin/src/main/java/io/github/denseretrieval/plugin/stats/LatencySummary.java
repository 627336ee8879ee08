package io.github.denseretrieval.plugin.stats;

import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.io.stream.Writeable;
import org.elasticsearch.xcontent.ToXContentObject;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;

/** p50 and p99 of recent encode calls, in milliseconds, over {@code samples} calls. */
public record LatencySummary(int samples, double p50Millis, double p99Millis) implements Writeable, ToXContentObject {

    static LatencySummary read(StreamInput in) throws IOException {
        return new LatencySummary(in.readVInt(), in.readDouble(), in.readDouble());
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeVInt(samples);
        out.writeDouble(p50Millis);
        out.writeDouble(p99Millis);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        return builder.startObject().field("p50", p50Millis).field("p99", p99Millis).field("samples", samples).endObject();
    }
}
