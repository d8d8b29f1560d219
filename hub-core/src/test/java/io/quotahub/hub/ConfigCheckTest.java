package io.quotahub.hub;

import io.micronaut.context.ApplicationContext;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** An unknown or misspelt key under quotahub. stops the start-up with one line naming it and the nearest valid key. */
class ConfigCheckTest {

    private static Map<String, Object> props(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put("quotahub.hub-id", "main");
        props.put("quotahub.nats-url", "nats://127.0.0.1:1"); // never reached: the context fails or closes first
        return props;
    }

    private static Map<String, Map<String, Object>> demoPool(Map<String, Object> keyExtra) {
        Map<String, Object> key = new HashMap<>(Map.of("id", "k1", "secret-env", "QH_TEST_NO_SUCH_VAR",
                "limits", List.of(Map.of("requests", 60, "per", "1m"))));
        key.putAll(keyExtra);
        return Map.of("demo", Map.of("keys", List.of(key)));
    }

    private static String startUpError(Map<String, Object> props) {
        Throwable failure = catchThrowable(() -> ApplicationContext.run(props(props), "test").close());
        assertThat(failure).as("the start-up fails").isNotNull();
        return HubApplication.configError(failure);
    }

    @Test
    void misspeltPeerId_isAStartUpErrorNamingTheNearestKey() {
        assertThat(startUpError(Map.of("quotahub.peer-idd", "edge")))
                .isEqualTo("quotahub: configuration error: unknown setting quotahub.peer-idd: did you mean quotahub.peer-id?");
    }

    @Test
    void misspeltMaxConcurrentOfAKey_isAStartUpErrorNamingTheNearestKey() {
        assertThat(startUpError(Map.of("quotahub.pools", demoPool(Map.of("max-concurent", 10)))))
                .isEqualTo("quotahub: configuration error: unknown setting quotahub.pools.demo.keys[0].max-concurent:"
                        + " did you mean quotahub.pools.demo.keys[0].max-concurrent?");
    }

    @Test
    void misspeltMaxConcurrentOfAPool_isAStartUpErrorNamingTheNearestKey() {
        Map<String, Object> pool = new HashMap<>(demoPool(Map.of()).get("demo"));
        pool.put("max-concurent", 20);
        assertThat(startUpError(Map.of("quotahub.pools", Map.of("demo", pool))))
                .isEqualTo("quotahub: configuration error: unknown setting quotahub.pools.demo.max-concurent:"
                        + " did you mean quotahub.pools.demo.max-concurrent?");
    }

    @Test
    void aBadDurationInAPool_isAStartUpErrorNamingItsPath() {
        Map<String, Object> key = Map.of("id", "k1", "secret-env", "QH_TEST_NO_SUCH_VAR",
                "limits", List.of(Map.of("requests", 60, "per", "1m"), Map.of("tokens", 1000, "per", "5 secs")));
        String error = startUpError(Map.of("quotahub.pools", Map.of("demo", Map.of("keys", List.of(key)))));

        assertThat(error).isEqualTo("quotahub: configuration error: quotahub.pools.demo.keys[0].limits[1].per is not a duration:"
                + " '5 secs' (use e.g. 500ms, 10s, 1m, 1h, 1d)");
    }

    @Test
    void aMisspeltKeyIsNamedBeforeTheValueItLeftOut() {
        // "pr" instead of "per": the unknown key is the cause, not the missing duration
        Map<String, Object> key = Map.of("id", "k1", "secret-env", "QH_TEST_NO_SUCH_VAR",
                "limits", List.of(Map.of("requests", 60, "pr", "1m")));
        assertThat(startUpError(Map.of("quotahub.pools", Map.of("demo", Map.of("keys", List.of(key))))))
                .isEqualTo("quotahub: configuration error: unknown setting quotahub.pools.demo.keys[0].limits[0].pr:"
                        + " did you mean quotahub.pools.demo.keys[0].limits[0].per?");
    }

    @Test
    void misspeltNestedKey_isNamedWithItsSection() {
        assertThat(startUpError(Map.of("quotahub.nats.tls.ca-fle", "/x.pem")))
                .isEqualTo("quotahub: configuration error: unknown setting quotahub.nats.tls.ca-fle: did you mean quotahub.nats.tls.ca-file?");
        assertThat(startUpError(Map.of("quotahub.audit.max-ag", "1d")))
                .contains("did you mean quotahub.audit.max-age?");
    }

    @Test
    void theErrorIsOneLine() {
        assertThat(startUpError(Map.of("quotahub.peer-idd", "edge"))).doesNotContain("\n");
    }

    @Test
    void everyDocumentedKey_starts() {
        Map<String, Object> props = new HashMap<>();
        props.put("quotahub.peer-id", "edge");
        props.put("quotahub.domain", "main");
        props.put("quotahub.peer-domain", "edge");
        props.put("quotahub.initial-split", Map.of("main", 0.5, "edge", 0.5));
        props.put("quotahub.rebalance-floor", 0.1);
        props.put("quotahub.takeover-after", "2500ms");
        props.put("quotahub.lease-ttl", "60s");
        props.put("quotahub.settle-margin", "250ms");
        props.put("quotahub.agent-dead-after", "15s");
        props.put("quotahub.snapshot-every", 10000);
        props.put("quotahub.snapshot-max-age", "10m");
        props.put("quotahub.ledger-timeout", "5s");
        props.put("quotahub.max-cooldown", "1h");
        props.put("quotahub.cooldown", Map.of("ladder", List.of("1s", "3s", "10s", "30s"), "failures-to-block", 3,
                "block-for", "30s", "open-for", "30s", "growth", 2, "successes-to-shorten", 5));
        props.put("quotahub.thermal", Map.of("recovery-window", "30s", "smoothing", 0.3, "zone-bounds", List.of(40, 60, 80, 95),
                "throttle-at", 95));
        props.put("quotahub.audit.max-age", "90d");
        props.put("quotahub.max-field-bytes", 128);
        props.put("quotahub.max-message-bytes", 262144);
        props.put("quotahub.max-agents", 10000);
        props.put("quotahub.max-request-index", 1000000);
        props.put("quotahub.diagnostics.rtt-warn", "100ms");
        props.put("quotahub.diagnostics.cache-ttl", "30s");
        props.put("quotahub.diagnostics.health-interval", "30s");
        props.put("quotahub.security.tokens", List.of());
        props.put("quotahub.pools", Map.of("demo", Map.of(
                "preset", "STANDARD", "max-concurrent", 20, "max-tokens-per-call", 1000,
                "max-open-leases-per-agent", 5, "max-share-per-agent", 0.5, "high-priority-agents", List.of("ops-*"),
                "limits", List.of(Map.of("requests", 1500, "per", "1d", "calendar-day", "America/New_York")),
                "keys", List.of(Map.of("id", "k1", "secret-file", "/nonexistent/k1", "max-concurrent", 10,
                        "limits", List.of(Map.of("tokens", 100000, "per", "1m")))))));
        try (ApplicationContext context = ApplicationContext.run(props(props), "test")) {
            assertThat(context.getBean(HubRuntime.class).hubId()).isEqualTo("main");
        }
    }
}
