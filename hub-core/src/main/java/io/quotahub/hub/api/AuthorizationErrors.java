package io.quotahub.hub.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.micronaut.security.authentication.AuthorizationException;
import io.micronaut.security.authentication.DefaultAuthorizationExceptionHandler;
import jakarta.inject.Singleton;

/**
 * The 401 and 403 of micronaut-security in the API's JSON error shape. The 401 is one fixed body
 * whether the token was missing, malformed or unknown, so an answer never tells whether a token
 * (or a token name) exists; the 403 comes only after a valid token.
 */
@Singleton
@Replaces(DefaultAuthorizationExceptionHandler.class)
public class AuthorizationErrors implements ExceptionHandler<AuthorizationException, MutableHttpResponse<?>> {

    static final ApiError UNAUTHORIZED = new ApiError("unauthorized",
            "this route needs a valid token: send Authorization: Bearer <token>");
    static final ApiError FORBIDDEN = new ApiError("forbidden",
            "the token's role may not use this route (AGENT: acquire and complete; VIEWER: state, system, "
                    + "diagnostics, metrics; OPERATOR: everything)");

    @Override
    public MutableHttpResponse<?> handle(HttpRequest request, AuthorizationException exception) {
        if (exception.isForbidden()) {
            return HttpResponse.status(HttpStatus.FORBIDDEN).body(FORBIDDEN);
        }
        return HttpResponse.status(HttpStatus.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"quotahub\"")
                .body(UNAUTHORIZED);
    }
}
