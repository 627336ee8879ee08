package io.github.denseretrieval.encoder;

import java.util.List;

/**
 * The windows of one text, in order.
 *
 * @param capped true when the text went on past the last window ({@code max_chunks} reached): its
 *               tail was not chunked
 */
public record TextChunks(List<TextChunk> chunks, boolean capped) {}
