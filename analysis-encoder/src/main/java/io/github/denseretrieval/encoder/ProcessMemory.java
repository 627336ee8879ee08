package io.github.denseretrieval.encoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The memory the operating system has given this process, for reporting what loading a model
 * costs outside the Java heap (native weights, engine arenas, tokenizer tables): compare
 * {@link #residentBytes()} before and after. Stateless and thread-safe.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /**
     * The process's resident set size in bytes (Linux {@code /proc/self/status} {@code VmRSS}), or
     * -1 where that is not available (another OS, a restricted {@code /proc}).
     */
    public static long residentBytes() {
        return residentBytes(STATUS);
    }

    /** {@code VmRSS} of a {@code /proc/<pid>/status}-formatted file, in bytes; -1 if absent or unreadable. */
    static long residentBytes(Path status) {
        List<String> lines;
        try {
            lines = Files.readAllLines(status, StandardCharsets.US_ASCII);
        } catch (IOException | SecurityException e) {
            return -1;
        }
        for (String line : lines) {
            if (line.startsWith("VmRSS:")) {
                // "VmRSS:     123456 kB": the kernel always reports this field in kB (1024 bytes).
                String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
                try {
                    long kb = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equals("kB") ? kb * 1024 : -1;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
