package io.quotahub.hub.security;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;

import java.util.List;

/** Reads the tokens when the context starts, so a bad entry stops the hub before it serves anything. */
@Factory
class SecurityFactory {

    @Context
    BearerTokens bearerTokens(List<TokenSettings> tokens) {
        return BearerTokens.read(tokens, System::getenv);
    }
}
