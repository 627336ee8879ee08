package io.github.denseretrieval.evaluation.beir;

/** One corpus entry of a BEIR dataset. */
public record Passage(String id, String title, String text) {

    /** Title and text joined by a space (the text alone when there is no title): what models and BM25 read. */
    public String titleAndText() {
        return title == null || title.isBlank() ? text : (title + " " + text).trim();
    }
}
