package io.quotahub.agent.provider;

import io.quotahub.agent.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every recorded provider answer of {@code clients/provider-examples} (shared by the three SDKs),
 * read by the adapter it names: each {@code expect} field holds, an absent one is absent.
 */
class ProviderExamplesTest {

    static final Path EXAMPLES = Path.of("..", "clients", "provider-examples");

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @Test
    void theExamplesAreThere() throws IOException {
        assertThat(examples().count()).as("recorded answers in " + EXAMPLES.toAbsolutePath()).isGreaterThanOrEqualTo(24);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void adapterReadsWhatTheExampleExpects(Path file) throws IOException {
        Object example = Json.parse(Files.readString(file, StandardCharsets.UTF_8)).orElseThrow();
        ProviderAdapter adapter = switch (Json.string(example, "provider").orElseThrow()) {
            case "openai" -> Providers.openai();
            case "anthropic" -> Providers.anthropic();
            case "gemini" -> Providers.gemini();
            case "generic" -> Providers.generic();
            default -> throw new AssertionError("unknown provider in " + file);
        };
        Object body = Json.at(example, "body").orElseThrow();
        String bodyText = body instanceof String s ? s : JsonText.of(body);
        Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
        ((Map<?, ?>) Json.at(example, "headers").orElseThrow()).forEach((k, v) -> headers.put((String) k, List.of((String) v)));
        Instant receivedAt = Instant.parse(Json.string(example, "receivedAt").orElseThrow());
        int status = Json.number(example, "status").orElseThrow().intValueExact();
        Object expect = Json.at(example, "expect").orElseThrow();

        ProviderReading reading = adapter.read(status, headers, bodyText, receivedAt);

        assertThat(reading.outcome().name()).isEqualTo(Json.string(expect, "outcome").orElseThrow());
        assertThat(reading.transientError()).as("transient")
                .isEqualTo(Json.at(expect, "transient").map(Boolean.TRUE::equals).orElse(false));
        assertThat(reading.retryAfter()).as("retryAfterMs")
                .isEqualTo(millis(expect, "retryAfterMs").map(Duration::ofMillis));
        assertThat(reading.tokensUsed()).as("tokensUsed").isEqualTo(count(expect, "tokensUsed"));
        assertThat(reading.report().quotaId()).as("quotaId").isEqualTo(Json.string(expect, "quotaId"));
        List<ProviderLimit> expected = new ArrayList<>();
        for (Object l : Json.array(expect, "limits")) {
            expected.add(new ProviderLimit(LimitKind.valueOf(Json.string(l, "kind").orElseThrow()), count(l, "limit"),
                    count(l, "remaining"), millis(l, "resetAfterMs").map(Duration::ofMillis)));
        }
        assertThat(reading.report().limits()).as("limits").containsExactlyElementsOf(expected);
        assertThat(reading.toString()).as("nothing of the body's message is copied")
                .doesNotContain("sk-proj").doesNotContain("exceeded").doesNotContain("Incorrect");
    }

    private static OptionalLong count(Object node, String name) {
        return Json.number(node, name).map(n -> OptionalLong.of(n.longValueExact())).orElse(OptionalLong.empty());
    }

    private static Optional<Long> millis(Object node, String name) {
        return Json.number(node, name).map(BigDecimal::longValueExact);
    }

    /** JSON text of a parsed value, compact as {@code JSON.stringify} writes it. */
    static final class JsonText {
        static String of(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out);
            return out.toString();
        }

        private static void write(Object value, StringBuilder out) {
            if (value instanceof Map<?, ?> m) {
                out.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    out.append(sep);
                    string((String) e.getKey(), out);
                    out.append(':');
                    write(e.getValue(), out);
                    sep = ",";
                }
                out.append('}');
            } else if (value instanceof List<?> l) {
                out.append('[');
                String sep = "";
                for (Object v : l) {
                    out.append(sep);
                    write(v, out);
                    sep = ",";
                }
                out.append(']');
            } else if (value instanceof String s) {
                string(s, out);
            } else {
                out.append(value); // BigDecimal, Boolean, Json.NULL
            }
        }

        private static void string(String s, StringBuilder out) {
            out.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
