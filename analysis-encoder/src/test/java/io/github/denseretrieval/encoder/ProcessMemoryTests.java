package io.github.denseretrieval.encoder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessMemoryTests {

    @Test
    void residentSetSizeOfThisProcessIsPlausibleOnLinux() {
        long rss = ProcessMemory.residentBytes();
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            // A running JVM with JUnit loaded is tens of MB at least, and below the machine's memory.
            assertTrue(rss > 16L << 20 && rss < 1L << 40, "VmRSS " + rss);
        } else {
            assertEquals(-1, rss);
        }
    }

    @Test
    void kilobytesAreConvertedAndAbsenceIsMinusOne(@TempDir Path dir) throws IOException {
        Path status = Files.writeString(dir.resolve("status"), "Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t  123456 kB\nThreads:\t42\n");
        assertEquals(123456L * 1024, ProcessMemory.residentBytes(status));
        assertEquals(-1, ProcessMemory.residentBytes(Files.writeString(dir.resolve("kernel-thread"), "Name:\tkthreadd\n")));
        assertEquals(-1, ProcessMemory.residentBytes(dir.resolve("absent")));
    }
}
