package io.quotahub.hub.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi/quotahub.yml}: the HTTP API's OpenAPI 3 description, generated from the
 * controllers at compile time (micronaut-openapi) into {@value #RESOURCE}. Open to anyone: it
 * describes routes, which are no secret, and holds none.
 */
@OpenAPIDefinition(info = @Info(title = "quotahub", version = "v1",
        description = "QuotaHub's HTTP API: leases on rate-limited API keys for agents in any language. "
                + "Acquire (waiting up to maxWaitMs, idempotent by requestId), complete, heartbeat, state and the operator routes. "
                + "With tokens configured every route needs Authorization: Bearer <token> of the role it names."))
@Hidden
@Secured(SecurityRule.IS_ANONYMOUS)
@Controller("/openapi")
public class OpenApiController {

    /** Where micronaut-openapi writes the document (its name: micronaut.openapi.filename in openapi.properties). */
    static final String RESOURCE = "META-INF/swagger/quotahub.yml";

    private final byte[] document;

    public OpenApiController() {
        try (InputStream in = OpenApiController.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            document = in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Get(uri = "/quotahub.yml", produces = "application/yaml")
    public HttpResponse<byte[]> document() {
        return document == null ? HttpResponse.status(HttpStatus.NOT_FOUND) : HttpResponse.ok(document);
    }
}
