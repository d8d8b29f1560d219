package io.quotahub.hub.service;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class InputBoundsTest {

    private final InputBounds bounds = new InputBounds(128, 4096);

    @Test
    void aFieldIsMeasuredInBytesOfUtf8() {
        for (String s : new String[] {"", "plain", "é", "€", "😀", "a😀é€", "\uD800", "x\uDC00y"}) {
            assertThat(InputBounds.utf8Length(s)).as(s).isGreaterThanOrEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
        assertThat(InputBounds.utf8Length("a😀é€")).isEqualTo(1 + 4 + 2 + 3);

        assertThat(bounds.fieldProblem("agentId", "a".repeat(128))).isNull();
        assertThat(bounds.fieldProblem("agentId", "é".repeat(64))).isNull();
        assertThat(bounds.fieldProblem("agentId", "é".repeat(65)))
                .isEqualTo("agentId is 130 bytes long, above the bound of 128 bytes (quotahub.max-field-bytes)");
        assertThat(bounds.fieldProblem("agentId", "😀".repeat(33))).startsWith("agentId is 132 bytes");
        assertThat(bounds.fieldProblem("agentId", null)).isNull();
    }

    @Test
    void aMessageAboveTheBoundIsNamedWithItsSize() {
        assertThat(bounds.messageProblem("Heartbeat", 4096)).isNull();
        assertThat(bounds.messageProblem("Heartbeat", 4097))
                .isEqualTo("Heartbeat of 4097 bytes is above the bound of 4096 bytes (quotahub.max-message-bytes)");
    }
}
