package io.quotahub.testkit;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * HTTP tokens for a test cluster's hubs, one per role, random per run: the hubs get them from the
 * environment ({@link #env()}, named by {@link #configYaml()}), as production hubs get secrets —
 * never from a command line — so test clusters run with authentication on.
 */
public record HubTokens(String operator, String viewer, String agent) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static HubTokens random() {
        return new HubTokens(token("ops"), token("viewer"), token("agent"));
    }

    private static String token(String role) {
        byte[] bits = new byte[24];
        RANDOM.nextBytes(bits);
        return "qh-test-" + role + "-" + HexFormat.of().formatHex(bits);
    }

    /** The token of a role: {@code OPERATOR}, {@code VIEWER} or {@code AGENT}. */
    public String of(String role) {
        return switch (role) {
            case "OPERATOR" -> operator;
            case "VIEWER" -> viewer;
            case "AGENT" -> agent;
            default -> throw new IllegalArgumentException("no role " + role);
        };
    }

    /** The environment variables the hub configuration of {@link #configYaml()} reads. */
    public Map<String, String> env() {
        return Map.of("QH_TEST_TOKEN_OPERATOR", operator, "QH_TEST_TOKEN_VIEWER", viewer, "QH_TEST_TOKEN_AGENT", agent);
    }

    /** {@code quotahub.security.tokens}, to append under {@code quotahub:} (two-space indent). */
    public static String configYaml() {
        return """
                  security:
                    tokens:
                      - { name: ops, role: OPERATOR, token-env: QH_TEST_TOKEN_OPERATOR }
                      - { name: viewer, role: VIEWER, token-env: QH_TEST_TOKEN_VIEWER }
                      - { name: agents, role: AGENT, token-env: QH_TEST_TOKEN_AGENT }
                """;
    }

    @Override
    public String toString() {
        return "HubTokens[hidden]";
    }
}
