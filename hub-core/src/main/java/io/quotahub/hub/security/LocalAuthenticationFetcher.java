package io.quotahub.hub.security;

import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.filters.AuthenticationFetcher;
import io.micronaut.security.token.TokenAuthenticationFetcher;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;
import io.micronaut.core.async.publisher.Publishers;
import io.quotahub.hub.service.Principals;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * In protected mode (no token configured, server on 127.0.0.1 only) a caller on this machine may
 * do everything, as before tokens existed; the remote address is checked too, so a request that
 * somehow arrives from elsewhere stays anonymous and gets 401. Its principal is {@code local}.
 */
@Singleton
class LocalAuthenticationFetcher implements AuthenticationFetcher<HttpRequest<?>> {

    static final String LOCAL = "local";
    private static final Authentication EVERYTHING = Authentication.build(LOCAL, Role.OPERATOR.grants(),
            Map.of(HubTokenValidator.ROLE, Role.OPERATOR.name(), HttpPrincipal.ATTRIBUTE, Principals.LOCAL));

    private final BearerTokens tokens;

    LocalAuthenticationFetcher(BearerTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Publisher<Authentication> fetchAuthentication(HttpRequest<?> request) {
        if (!tokens.none()) {
            return Publishers.empty();
        }
        InetSocketAddress remote = request.getRemoteAddress();
        boolean local = remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
        return local ? Publishers.just(EVERYTHING) : Publishers.empty();
    }

    @Override
    public int getOrder() {
        return TokenAuthenticationFetcher.ORDER + 100;
    }
}
