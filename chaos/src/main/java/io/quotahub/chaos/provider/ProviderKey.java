package io.quotahub.chaos.provider;

import java.util.List;
import java.util.Objects;

/** A key the simulated provider accepts: its id, its secret (never printed) and its limits. */
public final class ProviderKey {

    private final String id;
    private final String secret;
    private final List<Limit> limits;

    public ProviderKey(String id, String secret, List<Limit> limits) {
        this.id = Objects.requireNonNull(id, "id");
        this.secret = Objects.requireNonNull(secret, "secret");
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("secret of key " + id + " is empty");
        }
        this.limits = List.copyOf(limits);
    }

    public String id() {
        return id;
    }

    String secret() {
        return secret;
    }

    public List<Limit> limits() {
        return limits;
    }

    @Override
    public String toString() {
        return "ProviderKey[" + id + ", limits=" + limits + "]";
    }
}
