package io.github.denseretrieval.encoder;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeHeapTests {

    @Test
    void onGlibcFreedMallocPagesAreGivenBack() {
        // The build machines are glibc Linux (Debian); where the C library lacks malloc_trim the trim is a no-op.
        boolean glibc = Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6")) || Files.exists(Path.of("/lib/aarch64-linux-gnu/libc.so.6"));
        assertEquals(glibc, NativeHeap.trimmable());
        if (!glibc) {
            return;
        }
        // 64 MiB of blocks below the mmap threshold live in malloc's heap; once freed, only a trim returns them.
        List<Memory> blocks = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            Memory m = new Memory(64 * 1024);
            m.clear();
            blocks.add(m);
        }
        for (int i = 0; i < blocks.size() - 1; i++) {
            blocks.get(i).close();
        }
        assertTrue(NativeHeap.trim(), "malloc_trim(0) released memory");
        blocks.get(blocks.size() - 1).close();
    }
}
