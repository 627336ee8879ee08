package io.github.denseretrieval.plugin.search.hybrid;

import org.elasticsearch.search.retriever.RetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverParserContext;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentParseException;
import org.elasticsearch.xcontent.XContentParser;

import java.io.IOException;

/**
 * One entry of a fusion retriever's {@code retrievers} list: Elasticsearch's {@code linear}
 * syntax {@code {"retriever": {...}, "weight": 0.8, "normalizer": "minmax"}}, or (where
 * {@code rrf} allows it) a bare retriever {@code {"standard": {...}}}. Parsed by hand because the
 * two forms can only be told apart by the entry's first field name.
 *
 * @param weight     null when not given
 * @param normalizer null when not given
 * @param candidates null when not given: how many of this child's top documents are the fusion's
 *                   only candidates (the plugin's addition to the {@code linear} syntax)
 */
record FusionChild(RetrieverBuilder retriever, Float weight, String normalizer, Integer candidates) {

    static final ParseField RETRIEVER = new ParseField("retriever");
    static final ParseField WEIGHT = new ParseField("weight");
    static final ParseField NORMALIZER = new ParseField("normalizer");
    static final ParseField CANDIDATES = new ParseField("candidates");

    /** An entry in the {@code {"retriever": ..., "weight": ..., "normalizer": ...}} form only. */
    static FusionChild parseEntry(XContentParser parser, RetrieverParserContext context) throws IOException {
        return parse(parser, context, false);
    }

    /** An entry in either form. */
    static FusionChild parseEntryOrRetriever(XContentParser parser, RetrieverParserContext context) throws IOException {
        return parse(parser, context, true);
    }

    private static FusionChild parse(XContentParser parser, RetrieverParserContext context, boolean bareAllowed) throws IOException {
        if (parser.currentToken() != XContentParser.Token.START_OBJECT) {
            throw new XContentParseException(parser.getTokenLocation(), "each [retrievers] entry must be an object, got ["
                + parser.currentToken() + "]");
        }
        if (parser.nextToken() != XContentParser.Token.FIELD_NAME) {
            throw new XContentParseException(parser.getTokenLocation(), "a [retrievers] entry is empty");
        }
        String first = parser.currentName();
        if (bareAllowed && !isEntryField(parser, first)) {
            RetrieverBuilder retriever = namedRetriever(parser, context, first);
            if (parser.nextToken() != XContentParser.Token.END_OBJECT) {
                throw new XContentParseException(parser.getTokenLocation(), "a [retrievers] entry holds one retriever; [" + first
                    + "] is followed by [" + parser.currentName() + "]");
            }
            return new FusionChild(retriever, null, null, null);
        }
        RetrieverBuilder retriever = null;
        Float weight = null;
        String normalizer = null;
        Integer candidates = null;
        do {
            String field = parser.currentName();
            parser.nextToken();
            if (RETRIEVER.match(field, parser.getDeprecationHandler())) {
                if (parser.currentToken() != XContentParser.Token.START_OBJECT || parser.nextToken() != XContentParser.Token.FIELD_NAME) {
                    throw new XContentParseException(parser.getTokenLocation(), "[retriever] must be an object naming one retriever");
                }
                String name = parser.currentName();
                retriever = namedRetriever(parser, context, name);
                if (parser.nextToken() != XContentParser.Token.END_OBJECT) {
                    throw new XContentParseException(parser.getTokenLocation(), "[retriever] holds one retriever; [" + name
                        + "] is followed by [" + parser.currentName() + "]");
                }
            } else if (WEIGHT.match(field, parser.getDeprecationHandler())) {
                weight = parser.floatValue();
            } else if (NORMALIZER.match(field, parser.getDeprecationHandler())) {
                normalizer = parser.text();
            } else if (CANDIDATES.match(field, parser.getDeprecationHandler())) {
                candidates = parser.intValue();
            } else {
                throw new XContentParseException(parser.getTokenLocation(), "[retrievers] entry: unknown field [" + field
                    + "]; valid fields are [retriever, weight, normalizer, candidates]");
            }
        } while (parser.nextToken() == XContentParser.Token.FIELD_NAME);
        if (retriever == null) {
            throw new XContentParseException(parser.getTokenLocation(), "a [retrievers] entry needs [retriever]");
        }
        return new FusionChild(retriever, weight, normalizer, candidates);
    }

    private static boolean isEntryField(XContentParser parser, String name) {
        return RETRIEVER.match(name, parser.getDeprecationHandler()) || WEIGHT.match(name, parser.getDeprecationHandler())
            || NORMALIZER.match(name, parser.getDeprecationHandler()) || CANDIDATES.match(name, parser.getDeprecationHandler());
    }

    /** The retriever whose name the parser stands on; leaves the parser on the retriever body's closing brace. */
    private static RetrieverBuilder namedRetriever(XContentParser parser, RetrieverParserContext context, String name) throws IOException {
        parser.nextToken();
        RetrieverBuilder retriever = parser.namedObject(RetrieverBuilder.class, name, context);
        context.trackRetrieverUsage(name);
        return retriever;
    }
}
