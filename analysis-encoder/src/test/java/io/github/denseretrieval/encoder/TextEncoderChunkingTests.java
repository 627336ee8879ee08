package io.github.denseretrieval.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chunking with the real bge-small tokenizer: offsets map back to the text exactly, windows hold at most max_tokens tokens. */
class TextEncoderChunkingTests {

    private static TextEncoder encoder;

    @BeforeAll
    static void open() {
        encoder = TextEncoder.open(TextEncoderTests.BGE);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    private static final String TEXT = "Malaria is caused by Plasmodium parasites. \uD83E\uDDEC Gene drives in Anopheles mosquitoes — "
        + "a naïve café-style idea? No: field trials in Burkina Faso began in 2019! ".repeat(12) + "The end.";

    @Test
    void offsetsMapBackToTheOriginalTextExactly() {
        TextChunks chunks = encoder.chunk(TEXT, new ChunkingOptions(32, 8, 100, true));
        assertFalse(chunks.capped());
        assertTrue(chunks.chunks().size() > 5);
        int previousStart = -1;
        for (TextChunk c : chunks.chunks()) {
            assertEquals(TEXT.substring(c.start(), c.end()), c.text());
            assertFalse(Character.isLowSurrogate(TEXT.charAt(c.start())), "a chunk never starts inside a surrogate pair");
            assertTrue(c.start() > previousStart);
            previousStart = c.start();
            Encoding tokens = encoder.tokenizerForTests().encode(List.of(c.text()))[0];
            assertTrue(tokens.getIds().length <= 32 + 2 + 2, c.text() + " has " + tokens.getIds().length + " tokens");
        }
        assertEquals(0, chunks.chunks().get(0).start());
        assertEquals(TEXT.length(), chunks.chunks().get(chunks.chunks().size() - 1).end());
    }

    @Test
    void aHugeTextIsCappedNotTokenizedWhole() {
        String huge = "Insulin resistance precedes type 2 diabetes. ".repeat(200_000);
        long start = System.nanoTime();
        TextChunks chunks = encoder.chunk(huge, new ChunkingOptions(64, 0, 3, false));
        assertEquals(3, chunks.chunks().size());
        assertTrue(chunks.capped());
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "bounded by max_chunks, not by the text's length");
    }
}
