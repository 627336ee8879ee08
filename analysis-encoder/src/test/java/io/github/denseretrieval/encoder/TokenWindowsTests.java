package io.github.denseretrieval.encoder;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenWindowsTests {

    /** One "token" per word of a space-separated text. */
    private static TextChunks words(String text, ChunkingOptions options) {
        String[] words = text.split(" ");
        int[] starts = new int[words.length];
        int[] ends = new int[words.length];
        int at = 0;
        for (int i = 0; i < words.length; i++) {
            starts[i] = at;
            ends[i] = at + words[i].length();
            at = ends[i] + 1;
        }
        return TokenWindows.windows(text, starts, ends, options);
    }

    @Test
    void windowsOverlapByTheGivenTokensAndCoverEveryToken() {
        TextChunks c = words("a b c d e f g h i j", new ChunkingOptions(8, 2, 10, false));
        assertEquals(List.of("a b c d e f g h", "g h i j"), c.chunks().stream().map(TextChunk::text).toList());
        assertEquals(0, c.chunks().get(0).start());
        assertEquals(12, c.chunks().get(1).start());
        assertFalse(c.capped());
    }

    @Test
    void maxChunksCapsAndSaysSo() {
        TextChunks c = words("a b c d e f g h i j k l m n o p q r", new ChunkingOptions(8, 0, 1, false));
        assertEquals(1, c.chunks().size());
        assertTrue(c.capped());
        TextChunks exact = words("a b c d e f g h", new ChunkingOptions(8, 0, 1, false));
        assertFalse(exact.capped(), "a text that fits its windows exactly is not capped");
    }

    @Test
    void aWindowEndsAfterASentenceInItsSecondHalf() {
        TextChunks c = words("one two three four five. six seven eight nine ten", new ChunkingOptions(8, 0, 10, true));
        assertEquals("one two three four five.", c.chunks().get(0).text());
        assertEquals("six seven eight nine ten", c.chunks().get(1).text());
        TextChunks early = words("one. two three four five six seven eight nine", new ChunkingOptions(8, 0, 10, true));
        assertEquals("one. two three four five six seven eight", early.chunks().get(0).text(),
            "a sentence end in the first half would make a tiny window: ignored");
    }

    @Test
    void badOptionsNameTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(4, 0, 1, false)).getMessage()
            .contains("[max_tokens]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(16, 16, 1, false)).getMessage()
            .contains("[overlap_tokens]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(16, 0, 0, false)).getMessage()
            .contains("[max_chunks]"));
    }
}
