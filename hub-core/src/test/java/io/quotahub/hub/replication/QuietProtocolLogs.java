package io.quotahub.hub.replication;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Silences the protocol's WARN logs (every takeover logs one) for a test class, then restores them. */
final class QuietProtocolLogs implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(QuietProtocolLogs.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Level before = ReplicationSimulationTest.quietLogs();
        if (before != null) {
            context.getStore(NS).put("level", before);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ReplicationSimulationTest.restoreLogs(context.getStore(NS).get("level", Level.class));
    }
}
