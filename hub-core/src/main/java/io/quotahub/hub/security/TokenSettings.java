package io.quotahub.hub.security;

import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.annotation.Parameter;
import io.micronaut.core.annotation.Nullable;

/**
 * One entry of {@code quotahub.security.tokens}: a named token with a role, whose value is read
 * from a file or an environment variable, never written in the configuration itself.
 * <pre>
 * quotahub:
 *   security:
 *     tokens:
 *       - { name: agents, role: AGENT,    token-file: /etc/quotahub/agent.token }
 *       - { name: ops,    role: OPERATOR, token-env: QH_OPERATOR_TOKEN }
 * </pre>
 * Checked by {@link BearerTokens}, which fails the start-up naming the entry.
 *
 * @param index     the entry's place in the list (0-based), for messages about an entry without a name
 * @param name      shown in logs and audit records instead of the token
 * @param role      AGENT, VIEWER or OPERATOR
 * @param tokenFile a file holding only the token (one line; surrounding white space is ignored)
 * @param tokenEnv  the name of an environment variable holding the token
 */
@EachProperty(value = "quotahub.security.tokens", list = true)
public record TokenSettings(@Parameter int index, @Nullable String name, @Nullable String role, @Nullable String tokenFile,
                            @Nullable String tokenEnv) {

    /** How messages name this entry: {@code quotahub.security.tokens[1] (ops)}. */
    String label() {
        return "quotahub.security.tokens[" + index + "]" + (name == null || name.isBlank() ? "" : " (" + name + ")");
    }
}
