package io.quotahub.hub.security;

import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.http.server.netty.configuration.NettyHttpServerConfiguration;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.stream.Collectors;

/**
 * With no token configured the hub is in protected mode (as Redis is without a password): its
 * HTTP server listens on 127.0.0.1 only, whatever {@code micronaut.server.host} or the listeners
 * say, so it never hands a key to another machine without a token. There is no switch to leave it
 * but configuring tokens. Says which mode it is in when the server is configured, at start-up.
 */
@Singleton
class ProtectedMode implements BeanCreatedEventListener<NettyHttpServerConfiguration> {

    static final String LOOPBACK = "127.0.0.1";
    private static final Logger LOG = LoggerFactory.getLogger(ProtectedMode.class);

    private final BearerTokens tokens;

    ProtectedMode(BearerTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public NettyHttpServerConfiguration onCreated(BeanCreatedEvent<NettyHttpServerConfiguration> event) {
        NettyHttpServerConfiguration server = event.getBean();
        if (!tokens.none()) {
            LOG.info("HTTP API: every route but /health, /openapi/quotahub.yml and the dashboard's static files needs Authorization: Bearer <token>; "
                    + "tokens configured: {}", tokens.holders().stream().map(h -> h.name() + " (" + h.role() + ")")
                    .collect(Collectors.joining(", ")));
            return server;
        }
        String configured = server.getHost().orElse(null);
        if (!isLoopback(configured)) {
            server.setHost(LOOPBACK);
        }
        if (server.getListeners() != null) {
            server.getListeners().stream()
                    .filter(l -> l.getFamily() == NettyHttpServerConfiguration.NettyListenerConfiguration.Family.TCP)
                    .filter(l -> !isLoopback(l.getHost()))
                    .forEach(l -> l.setHost(LOOPBACK));
        }
        LOG.warn("Protected mode: no quotahub.security.tokens are configured, so the HTTP API listens on {} only{} and "
                        + "serves this machine alone. To serve other machines, configure tokens (quotahub.security.tokens: "
                        + "name, role AGENT|VIEWER|OPERATOR, token-file or token-env) and restart; see docs/operations.md",
                server.getHost().orElse(LOOPBACK),
                configured == null || isLoopback(configured) ? "" : " (micronaut.server.host=" + configured + " is ignored)");
        return server;
    }

    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim();
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
    }
}
