package io.quotahub.hub.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.hub.service.ErrorCode;

import java.util.Locale;

/** The JSON body of every error: {@code {"error":"bad_request","message":"tokens must be > 0, was 0"}}. */
@Serdeable
public record ApiError(String error, String message) {

    public static MutableHttpResponse<ApiError> response(ErrorCode code, String message) {
        return HttpResponse.<ApiError>status(status(code)).body(new ApiError(code.name().toLowerCase(Locale.ROOT), message));
    }

    public static MutableHttpResponse<ApiError> badRequest(String message) {
        return response(ErrorCode.BAD_REQUEST, message);
    }

    static HttpStatus status(ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST, DEADLINE_EXCEEDED -> HttpStatus.BAD_REQUEST;
            case FORBIDDEN -> HttpStatus.FORBIDDEN;
            case UNKNOWN_POOL, UNKNOWN_LEASE -> HttpStatus.NOT_FOUND;
            case NO_USABLE_KEY, UNAVAILABLE, FENCED -> HttpStatus.SERVICE_UNAVAILABLE;
            case INTERNAL -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
