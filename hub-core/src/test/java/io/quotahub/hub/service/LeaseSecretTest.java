package io.quotahub.hub.service;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LeaseSecretTest {

    @Test
    void aSecretIs128RandomBitsInBase64UrlAndOnlyItsDigestMatchesIt() {
        LeaseSecret secret = LeaseSecret.issue();

        assertThat(secret.reveal()).matches("[A-Za-z0-9_-]{22}");
        assertThat(secret.digest()).matches("[A-Za-z0-9_-]{43}").isEqualTo(LeaseSecret.digestOf(secret.reveal()));
        assertThat(LeaseSecret.matches(secret.reveal(), secret.digest())).isTrue();
        assertThat(LeaseSecret.matches(LeaseSecret.issue().reveal(), secret.digest())).isFalse();
        assertThat(LeaseSecret.matches(secret.digest(), secret.digest())).as("the digest is no secret").isFalse();
    }

    @Test
    void missingBlankOrAbsurdSecretsAndEmptyDigestsNeverMatch() {
        LeaseSecret secret = LeaseSecret.issue();

        assertThat(LeaseSecret.matches(null, secret.digest())).isFalse();
        assertThat(LeaseSecret.matches("", secret.digest())).isFalse();
        assertThat(LeaseSecret.matches("x".repeat(10_000), secret.digest())).isFalse();
        assertThat(LeaseSecret.matches(secret.reveal(), "")).isFalse();
        assertThat(LeaseSecret.matches(secret.reveal(), null)).isFalse();
    }

    @Test
    void secretsDoNotRepeatAndNeverShowInToString() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(LeaseSecret.issue().reveal())).isTrue();
        }
        LeaseSecret secret = LeaseSecret.issue();
        assertThat(secret.toString()).doesNotContain(secret.reveal()).doesNotContain(secret.digest());
        assertThat(new AgentRegistry.Proof("main-1-1_x", secret.reveal()).toString()).doesNotContain(secret.reveal());
        assertThat(new SettleCommand("r", "l", "a", 1, null, null, null, null, secret.reveal()).toString())
                .doesNotContain(secret.reveal());
    }
}
