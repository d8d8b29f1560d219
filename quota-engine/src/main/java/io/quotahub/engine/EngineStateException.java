package io.quotahub.engine;

/** An engine state (snapshot) that cannot be restored: corrupt, truncated, or of another format or configuration. */
public final class EngineStateException extends Exception {

    public EngineStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
