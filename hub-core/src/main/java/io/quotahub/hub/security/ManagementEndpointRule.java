package io.quotahub.hub.security;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.inject.ExecutableMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.management.endpoint.EndpointSensitivityProcessor;
import io.micronaut.management.endpoint.annotation.Endpoint;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRuleResult;
import io.micronaut.security.rules.SensitiveEndpointRule;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;
import io.micronaut.core.async.publisher.Publishers;

/**
 * Who may call Micronaut's management endpoints: {@code /health} (and its {@code /liveness},
 * {@code /readiness}) anyone, for load balancers and systemd; {@code /prometheus} a VIEWER; every
 * other one (beans, env, loggers, refresh, routes, threaddump, stop, …) an OPERATOR. The
 * {@code endpoints.*.sensitive} flags do not open an endpoint to anonymous callers here: which
 * endpoint needs which role is fixed, so no configuration line can expose the hub's internals.
 */
@Singleton
@Replaces(SensitiveEndpointRule.class)
class ManagementEndpointRule extends SensitiveEndpointRule {

    ManagementEndpointRule(EndpointSensitivityProcessor endpointSensitivityProcessor) {
        super(endpointSensitivityProcessor);
    }

    @Override
    protected Publisher<SecurityRuleResult> check(HttpRequest<?> request, @Nullable Authentication authentication,
                                                  ExecutableMethod<?, ?> method) {
        String id = endpointId(method);
        if ("health".equals(id)) {
            return Publishers.just(SecurityRuleResult.ALLOWED);
        }
        Role needed = "prometheus".equals(id) ? Role.VIEWER : Role.OPERATOR;
        boolean allowed = authentication != null && authentication.getRoles().contains(needed.name());
        return Publishers.just(allowed ? SecurityRuleResult.ALLOWED : SecurityRuleResult.REJECTED);
    }

    static String endpointId(ExecutableMethod<?, ?> method) {
        return method.stringValue(Endpoint.class, "id").or(() -> method.stringValue(Endpoint.class)).orElse("");
    }
}
