package io.github.denseretrieval.encoder;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/**
 * Gives the pages glibc's allocator holds free back to the system, with {@code malloc_trim(0)}.
 * Closing an encoder frees its ONNX Runtime session and tokenizer, but glibc keeps most of that
 * memory in its arenas for later use; a process that opens and closes models (a node reloading
 * them under load) then grows. On a real node (bge-small, 12 reloads with encoding in between)
 * anonymous memory rose from 2,707 to 2,889 MiB and one {@code malloc_trim(0)} brought it to
 * 2,641 MiB, below where it started: the growth was free memory, not a leak. A no-op where the C
 * library has no {@code malloc_trim} (musl, macOS) or JNA cannot load. Thread-safe.
 */
public final class NativeHeap {

    private static final Function MALLOC_TRIM = lookup();

    private NativeHeap() {}

    private static Function lookup() {
        try {
            return NativeLibrary.getInstance("c").getFunction("malloc_trim");
        } catch (LinkageError | RuntimeException e) {
            // No such symbol, or JNA itself cannot load (kept from loading in the plugin's unit tests):
            // the process keeps its freed memory, as it did before.
            return null;
        }
    }

    /** True when this process's C library offers {@code malloc_trim} (glibc). */
    public static boolean trimmable() {
        return MALLOC_TRIM != null;
    }

    /** Returns free allocator pages to the system; true when the C library released some. */
    public static boolean trim() {
        return MALLOC_TRIM != null && MALLOC_TRIM.invokeInt(new Object[] {0}) == 1;
    }
}
