package io.quotahub.hub.config;

import io.quotahub.hub.audit.AuditSettings;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigKeysTest {

    private final ConfigKeys keys = ConfigKeys.of(Map.of("", HubSettings.class, "nats", NatsSettings.class,
            "audit", AuditSettings.class));

    @Test
    void theBoundRecords_giveTheKeys() {
        assertThat(keys.valid()).contains("hub-id", "peer-id", "lease-ttl", "initial-split.*", "nats.user-password-file",
                "nats.tls.ca-file", "audit.max-age", "pools.*.keys[].max-concurrent", "pools.*.limits[].calendar-day");
    }

    @Test
    void keysAreComparedInNormalForm() {
        assertThat(keys.check(List.of("quotahub.peerId", "quotahub.pools.gemini-pro.keys[3].secret-file",
                "quotahub.initial-split.main", "quotahub.nats.tls", "micronaut.server.port"))).isEmpty();
    }

    @Test
    void anUnknownKey_namesTheNearest() {
        assertThat(keys.check(List.of("quotahub.peer-idd")))
                .hasValue("unknown setting quotahub.peer-idd: did you mean quotahub.peer-id?");
        assertThat(keys.check(List.of("quotahub.pools.demo.max-concurent", "quotahub.zzz")))
                .hasValue("unknown setting quotahub.pools.demo.max-concurent: did you mean quotahub.pools.demo.max-concurrent?"
                        + " (and 1 more unknown: quotahub.zzz)");
    }

    @Test
    void aKeyFarFromEveryValidOne_isNamedAlone() {
        assertThat(keys.check(List.of("quotahub.qqqqqqqqqqqqqqqqq"))).hasValue("unknown setting quotahub.qqqqqqqqqqqqqqqqq");
    }

    @Test
    void levenshtein() {
        assertThat(ConfigKeys.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(ConfigKeys.distance("", "abc")).isEqualTo(3);
    }
}
