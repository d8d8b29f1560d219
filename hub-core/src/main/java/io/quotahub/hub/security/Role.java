package io.quotahub.hub.security;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a bearer token may do on the HTTP API. Each role is also a role name in
 * {@code @Secured}; a token's authentication carries the names its role {@link #grants()}, so a
 * route names the least role that may call it.
 */
public enum Role {
    /** Acquire and complete leases. */
    AGENT,
    /** Read state, system, diagnostics and metrics (the dashboard's data, Prometheus). */
    VIEWER,
    /** Everything: the agents' and viewers' routes, every admin route, the management endpoints. */
    OPERATOR;

    /** The role names a token of this role holds. */
    public List<String> grants() {
        return this == OPERATOR ? List.of(AGENT.name(), VIEWER.name(), OPERATOR.name()) : List.of(name());
    }

    /** Case-insensitive; empty for anything else. */
    public static Optional<Role> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
