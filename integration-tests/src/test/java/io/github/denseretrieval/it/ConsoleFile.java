package io.github.denseretrieval.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a Kibana Dev Tools console file: requests start with a {@code METHOD path} line, followed
 * by an optional JSON body (or NDJSON lines for {@code _bulk}); {@code #} lines are comments.
 */
final class ConsoleFile {

    record ConsoleRequest(String method, String path, String body, int line) {}

    private ConsoleFile() {}

    static List<ConsoleRequest> parse(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<ConsoleRequest> out = new ArrayList<>();
        String method = null;
        String path = null;
        int start = 0;
        StringBuilder body = new StringBuilder();
        for (int i = 0; i <= lines.size(); i++) {
            String line = i < lines.size() ? lines.get(i) : null;
            boolean requestLine = line != null && line.matches("^(GET|PUT|POST|DELETE|HEAD) \\S+.*");
            if (line == null || requestLine) {
                if (method != null) {
                    String b = body.toString().strip();
                    out.add(new ConsoleRequest(method, path, b.isEmpty() ? null : (path.contains("_bulk") ? b + "\n" : b), start));
                }
                if (line == null) {
                    break;
                }
                String[] parts = line.trim().split("\\s+", 2);
                method = parts[0];
                path = parts[1].startsWith("/") ? parts[1] : "/" + parts[1];
                start = i + 1;
                body.setLength(0);
            } else if (method != null && !line.startsWith("#")) {
                body.append(line).append('\n');
            }
        }
        return out;
    }
}
