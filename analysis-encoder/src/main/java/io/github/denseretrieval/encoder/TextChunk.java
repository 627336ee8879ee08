package io.github.denseretrieval.encoder;

/**
 * One window of a text: {@code text.substring(start, end)} of the original text (UTF-16 offsets,
 * as Java and JSON count them), the {@code index}-th window of its text.
 */
public record TextChunk(int index, int start, int end, String text) {}
