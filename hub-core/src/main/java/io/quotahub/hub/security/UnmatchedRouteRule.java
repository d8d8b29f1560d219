package io.quotahub.hub.security;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpAttributes;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.security.rules.SecurityRuleResult;
import io.micronaut.security.rules.SensitiveEndpointRule;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;
import io.micronaut.core.async.publisher.Publishers;

/**
 * A request that matches no route (an unknown path, a wrong method) goes on to the router's own
 * 404 or 405, as without security: it reaches no handler, and the routes are no secret. Every
 * matched route must still be allowed by {@code @Secured} or {@link ManagementEndpointRule};
 * a route that neither covers is refused (micronaut-security denies by default). The hub serves
 * no static resources outside its controllers, which this would otherwise open.
 */
@Singleton
class UnmatchedRouteRule implements SecurityRule<HttpRequest<?>> {

    @Override
    public Publisher<SecurityRuleResult> check(HttpRequest<?> request, @Nullable Authentication authentication) {
        boolean routed = request.getAttribute(HttpAttributes.ROUTE_MATCH).isPresent();
        return Publishers.just(routed ? SecurityRuleResult.UNKNOWN : SecurityRuleResult.ALLOWED);
    }

    @Override
    public int getOrder() {
        return SensitiveEndpointRule.ORDER + 100;
    }
}
