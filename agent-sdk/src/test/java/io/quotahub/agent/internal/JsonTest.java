package io.quotahub.agent.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class JsonTest {

    @Test
    void parsesWhatProvidersSend() {
        Object v = Json.parse(" {\"a\":{\"b\":[1,-2.5e3,true,false,null,\"x\\\"\\u00e9\\n\"]},\"n\":29} ").orElseThrow();

        assertThat(Json.number(v, "n")).contains(new BigDecimal("29"));
        assertThat(Json.array(v, "a", "b")).containsExactly(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false,
                Json.NULL, "x\"é\n");
        assertThat(Json.at(v, "a", "missing")).isEmpty();
        assertThat(Json.string(v, "n")).as("not a string").isEmpty();
        assertThat(Json.parse("[]")).contains(List.of());
        assertThat(Json.parse("{}")).contains(Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "\"open", "01x", "{} {}", "-", "\"\\x\"",
            "\"\\u12\"", "{\"a\":1,}", "nul", "[1 2]"})
    void malformedBodiesReadAsNoJson(String text) {
        assertThat(Json.parse(text)).isEmpty();
    }

    @Test
    void nestingBeyondTheBoundIsRefusedWithoutAStackOverflow() {
        assertThat(Json.parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH))).isPresent();
        assertThat(Json.parse("[".repeat(100_000))).isEmpty();
        assertThat(Json.parse("[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2))).isEmpty();
    }

    @Test
    void bodiesBeyondTheSizeBoundAreNotParsed() {
        assertThat(Json.parse("\"" + "a".repeat(Json.MAX_CHARS) + "\"")).isEmpty();
        assertThat(Json.parse(null)).isEmpty();
    }
}
