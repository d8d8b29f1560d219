package io.quotahub.hub.security;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.authentication.Authentication;
import io.quotahub.hub.service.Principals;

/**
 * The principal ({@link Principals}) of an HTTP caller: {@code token:<entry name>} for a bearer
 * token, {@code local} for a caller on this machine in protected mode. The authentications this
 * package builds carry it as an attribute, so a controller never formats it itself.
 */
public final class HttpPrincipal {

    /** The authentication attribute holding the caller's principal. */
    static final String ATTRIBUTE = "principal";

    private HttpPrincipal() {
    }

    /** The caller's principal; {@link Principals#NONE} for an anonymous caller. */
    public static String of(@Nullable Authentication authentication) {
        if (authentication == null) {
            return Principals.NONE;
        }
        return authentication.getAttributes().get(ATTRIBUTE) instanceof String p ? p : Principals.NONE;
    }
}
