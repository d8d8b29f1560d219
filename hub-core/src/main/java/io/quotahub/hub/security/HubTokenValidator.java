package io.quotahub.hub.security;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.validator.TokenValidator;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;
import io.micronaut.core.async.publisher.Publishers;
import io.quotahub.hub.service.Principals;

import java.util.Map;

/**
 * Turns an {@code Authorization: Bearer <token>} that matches a configured entry into an
 * authentication named after the entry, with the role names its role grants and the principal
 * {@code token:<name>} ({@link HttpPrincipal}). An unknown token
 * yields nothing, so the request stays anonymous: a wrong token and a missing one get the same 401.
 */
@Singleton
class HubTokenValidator implements TokenValidator<HttpRequest<?>> {

    /** The authentication attribute holding the token's own role. */
    static final String ROLE = "role";

    private final BearerTokens tokens;

    HubTokenValidator(BearerTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Publisher<Authentication> validateToken(String token, @Nullable HttpRequest<?> request) {
        return tokens.match(token)
                .map(h -> Publishers.just(Authentication.build(h.name(), h.role().grants(),
                        Map.of(ROLE, h.role().name(), HttpPrincipal.ATTRIBUTE, Principals.token(h.name())))))
                .orElseGet(Publishers::empty);
    }
}
