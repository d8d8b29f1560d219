package io.quotahub.hub.diagnostics;

/**
 * One diagnostic check (docs/operations.md, "Diagnostics"). A check examines the real cause (configuration, the
 * engine's state, NATS, the JVM) and never changes what it looks at.
 */
public interface DiagnosticCheck {

    /** Stable machine name, e.g. {@code key-configuration}. */
    String name();

    /** Human title, e.g. {@code Key configuration}. */
    String title();

    /** Runs the check; may throw, the registry turns that into a FAIL. */
    CheckResult run();
}
