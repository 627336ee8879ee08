package io.github.denseretrieval.it;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options of every command that starts a node from a build of this repository (quickstart,
 * bench, chunking evaluation), declared once and mixed in with picocli's {@code @Mixin}.
 */
public final class NodeCommandOptions {

    @Option(names = "--root", defaultValue = ".", description = "Repository root (es-config/, plugin zip, distribution, model folders).")
    Path root;

    @Option(names = "--heap", defaultValue = "2g", description = "Elasticsearch heap (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--work-dir", description = "Where the node lives (default: build/<command>, or /tmp/dense-retrieval-<command> when run as root).")
    Path workDir;

    public Path root() {
        return root;
    }

    public String heap() {
        return heap;
    }

    /** {@code --work-dir}, or the repository's default folder for {@code command}. */
    public Path workDir(String command) {
        return workDir != null ? workDir : ElasticsearchNode.Options.defaultWorkDir(root, command);
    }

    /** {@code data}, or SciFact from the {@code shared} folder beside the repository. */
    public Path dataDir(Path data) {
        return data != null ? data : root.resolve("../shared/data/scifact").normalize();
    }
}
