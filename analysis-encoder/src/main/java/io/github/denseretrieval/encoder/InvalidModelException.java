package io.github.denseretrieval.encoder;

/**
 * A model folder that cannot be served: missing or corrupt files, a manifest that contradicts the
 * weights, an engine that is not installed. The message names the folder and the problem, so that
 * an operator can fix it without reading a stack trace.
 */
public class InvalidModelException extends RuntimeException {

    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
