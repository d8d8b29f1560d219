package io.quotahub.hub.api;

import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The dashboard: three static files in the jar (no build step, nothing downloaded at run time) fed
 * by the HTTP API ({@code api/v1/state}, {@code api/v1/system}, {@code api/v1/diagnostics}). All
 * links are relative, so the page also works behind a path prefix.
 */
@Secured(SecurityRule.IS_ANONYMOUS)
@Controller
public class DashboardController {

    private static final MediaType HTML = MediaType.of("text/html;charset=utf-8");
    private static final MediaType CSS = MediaType.of("text/css;charset=utf-8");
    private static final MediaType JS = MediaType.of("text/javascript;charset=utf-8");

    private final byte[] page = load("index.html");
    private final byte[] css = load("dashboard.css");
    private final byte[] js = load("dashboard.js");

    private static byte[] load(String name) {
        try (InputStream in = DashboardController.class.getResourceAsStream("/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<byte[]> file(byte[] body, MediaType type) {
        // no-cache: the browser revalidates, so a new hub version never runs an old script
        return HttpResponse.ok(body).contentType(type).header("Cache-Control", "no-cache");
    }

    @Get(produces = MediaType.TEXT_HTML)
    public HttpResponse<byte[]> index() {
        return file(page, HTML);
    }

    @Get(uri = "/index.html", produces = MediaType.TEXT_HTML)
    public HttpResponse<byte[]> indexHtml() {
        return file(page, HTML);
    }

    @Get(uri = "/dashboard.css", produces = "text/css")
    public HttpResponse<byte[]> css() {
        return file(css, CSS);
    }

    @Get(uri = "/dashboard.js", produces = "text/javascript")
    public HttpResponse<byte[]> js() {
        return file(js, JS);
    }
}
