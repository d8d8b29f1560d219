package io.quotahub.hub.security;

import io.quotahub.hub.TestHub;
import io.quotahub.hub.config.ConfigException;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokenEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading {@code quotahub.security.tokens}: every bad entry stops the start naming the entry, never showing a token. */
class BearerTokensTest {

    private static final String TOKEN = "bearer-tokens-test-7c1d2e3f";

    @TempDir
    Path dir;

    private static TokenSettings file(int index, String name, String role, Path file) {
        return new TokenSettings(index, name, role, file.toString(), null);
    }

    private static TokenSettings env(int index, String name, String role, String variable) {
        return new TokenSettings(index, name, role, null, variable);
    }

    @Test
    void tokensFromAFileAndTheEnvironment_matchTheirHolder_andNothingElseMatches() throws IOException {
        BearerTokens tokens = BearerTokens.read(List.of(
                file(0, "agents", "AGENT", Files.writeString(dir.resolve("a"), "  " + TOKEN + "\n")),
                env(1, "ops", "operator", "QH_OPERATOR_TOKEN")), name -> name.equals("QH_OPERATOR_TOKEN") ? "ops-" + TOKEN : null);

        assertThat(tokens.none()).isFalse();
        assertThat(tokens.match(TOKEN)).contains(new BearerTokens.Holder("agents", Role.AGENT));
        assertThat(tokens.match("ops-" + TOKEN)).contains(new BearerTokens.Holder("ops", Role.OPERATOR));
        assertThat(tokens.match("agents")).isEmpty();
        assertThat(tokens.match(TOKEN + " ")).isEmpty();
        assertThat(tokens.match("")).isEmpty();
        assertThat(tokens.match(null)).isEmpty();
        assertThat(BearerTokens.read(List.of(), n -> null).none()).isTrue();
    }

    @Test
    void aBadEntry_failsNamingTheEntry_neverTheToken() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        Path good = Files.writeString(dir.resolve("good"), TOKEN);
        Map<List<TokenSettings>, String> cases = Map.of(
                List.of(file(0, "agents", "AGENT", dir.resolve("missing"))), "quotahub.security.tokens[0] (agents): token-file " + dir.resolve("missing") + " cannot be read",
                List.of(file(0, "agents", "AGENT", empty)), "quotahub.security.tokens[0] (agents): token-file " + empty + " is empty",
                List.of(env(0, "ops", "OPERATOR", "QH_UNSET")), "quotahub.security.tokens[0] (ops): environment variable QH_UNSET is not set",
                List.of(env(0, "ops", "OPERATOR", TOKEN)), "quotahub.security.tokens[0] (ops): token-env must name an environment variable",
                List.of(new TokenSettings(0, "both", "AGENT", good.toString(), "QH_X")), "quotahub.security.tokens[0] (both): set exactly one of",
                List.of(file(0, "x", "ROOT", good)), "quotahub.security.tokens[0] (x): role must be AGENT, VIEWER or OPERATOR, was 'ROOT'",
                List.of(file(0, null, "AGENT", good)), "quotahub.security.tokens[0]: name must be set",
                List.of(file(0, "a", "AGENT", good), file(1, "b", "VIEWER", good)), "quotahub.security.tokens[1] (b): has the same token as the entry 'a'",
                List.of(file(0, "a", "AGENT", good), file(1, "a", "VIEWER", empty)), "quotahub.security.tokens[1] (a): another entry has the same name");
        cases.forEach((entries, message) -> assertThatThrownBy(() -> BearerTokens.read(entries, n -> n.equals("QH_X") ? TOKEN : null))
                .as(message).isInstanceOf(ConfigException.class).hasMessageStartingWith(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN.substring(7))));
    }

    @Test
    void anUnreadableTokenFile_stopsTheHubAtStartUp_namingTheEntry() {
        try (NatsServer nats = NatsServer.start()) {
            Path secret = secretFile(dir, "k1", "sk-start-up-failure-1212");
            assertThatThrownBy(() -> TestHub.start(nats, "main",
                    Map.of("demo", Map.of("keys", List.of(key("k1", secret, List.of(requests(1, "1h")))))),
                    Map.of("quotahub.security.tokens", List.of(tokenEntry("grafana", "VIEWER", dir.resolve("no-such.token"))))))
                    .satisfies(e -> assertThat(messages(e)).contains("quotahub.security.tokens[0] (grafana): token-file")
                            .contains("cannot be read"));
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
