package io.github.denseretrieval.plugin.search.hybrid;

import org.apache.lucene.search.Explanation;
import org.elasticsearch.TransportVersion;
import org.elasticsearch.TransportVersions;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.search.rank.RankDoc;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A document's place in the fused hybrid ranking, with what each child retriever said of it
 * (rank and raw score, or absent), so that {@code explain} can show how the fused score arose.
 * Registered as a {@code NamedWriteable} of {@link RankDoc} under {@link #NAME}.
 */
public final class HybridRankDoc extends RankDoc {

    public static final String NAME = "hybrid_rank_doc";

    /** Per child: 1-based rank in that child's list, or {@link RankDoc#NO_RANK} when absent. */
    final int[] childRanks;
    /** Per child: raw score (NaN when absent). */
    final float[] childScores;
    /** Per child: the value that entered the fusion (RRF term or normalised score), 0 when absent. */
    final float[] contributions;
    final String fusion;

    HybridRankDoc(int doc, float score, int shardIndex, int children, String fusion) {
        super(doc, score, shardIndex);
        this.childRanks = new int[children];
        Arrays.fill(childRanks, NO_RANK);
        this.childScores = new float[children];
        Arrays.fill(childScores, Float.NaN);
        this.contributions = new float[children];
        this.fusion = fusion;
    }

    public HybridRankDoc(StreamInput in) throws IOException {
        super(in);
        this.childRanks = in.readIntArray();
        this.childScores = in.readFloatArray();
        this.contributions = in.readFloatArray();
        this.fusion = in.readString();
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        out.writeIntArray(childRanks);
        out.writeFloatArray(childScores);
        out.writeFloatArray(contributions);
        out.writeString(fusion);
    }

    @Override
    public Explanation explain(Explanation[] sources, String[] queryNames) {
        List<Explanation> details = new ArrayList<>();
        for (int i = 0; i < childRanks.length; i++) {
            String name = queryNames != null && i < queryNames.length && queryNames[i] != null ? "[" + queryNames[i] + "]" : "";
            String what = childRanks[i] == NO_RANK
                ? String.format(Locale.ROOT, "retriever %d %s: not in its top results, contributes 0", i, name)
                : String.format(Locale.ROOT, "retriever %d %s: rank [%d], score [%s], contributes [%s]", i, name, childRanks[i],
                    childScores[i], contributions[i]);
            Explanation source = sources != null && i < sources.length ? sources[i] : null;
            details.add(source != null && childRanks[i] != NO_RANK
                ? Explanation.match(contributions[i], what, source)
                : Explanation.noMatch(what));
        }
        return Explanation.match(score, String.format(Locale.ROOT, "hybrid [%s] fusion, final rank [%d]: sum of the contributions of %d retrievers",
            fusion, rank, childRanks.length), details);
    }

    @Override
    protected void doToXContent(XContentBuilder builder, Params params) throws IOException {
        builder.field("fusion", fusion);
        builder.array("child_ranks", childRanks);
        builder.startArray("child_scores");
        for (float s : childScores) {
            builder.value(Float.isNaN(s) ? null : s);
        }
        builder.endArray();
    }

    @Override
    protected boolean doEquals(RankDoc rd) {
        HybridRankDoc o = (HybridRankDoc) rd;
        return Arrays.equals(childRanks, o.childRanks) && Arrays.equals(childScores, o.childScores)
            && Arrays.equals(contributions, o.contributions) && fusion.equals(o.fusion);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(Arrays.hashCode(childRanks), Arrays.hashCode(childScores), Arrays.hashCode(contributions), fusion);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    @Override
    public TransportVersion getMinimalSupportedVersion() {
        return TransportVersions.V_8_16_0;
    }
}
