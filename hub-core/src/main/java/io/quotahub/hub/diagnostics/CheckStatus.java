package io.quotahub.hub.diagnostics;

/** The verdict of one diagnostic check. */
public enum CheckStatus {
    PASS,
    WARN,
    FAIL
}
