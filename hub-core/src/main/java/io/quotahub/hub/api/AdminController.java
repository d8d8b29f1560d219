package io.quotahub.hub.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.serde.annotation.Serdeable;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.replication.Replication;
import io.quotahub.hub.service.ErrorCode;

/** Operator commands. */
@Controller("/api/v1/admin")
public class AdminController {

    private final HubRuntime runtime;

    public AdminController(HubRuntime runtime) {
        this.runtime = runtime;
    }

    /** The answer of declare-dead: whether it was done, the peer's status, and what it risks. */
    @Serdeable
    public record DeclareDeadBody(String hubId, String peer, boolean declared, String peerStatus, long unitsTaken,
                                  String message) {
    }

    /**
     * Hands this hub the budget of a peer whose whole machine is unreachable, without a fence.
     * 409 when the peer is connected (nothing to declare) or already taken over.
     */
    @Post("/peer/declare-dead")
    public HttpResponse<?> declareDead() {
        Replication replication = runtime.replication();
        if (replication == null) {
            return ApiError.response(ErrorCode.BAD_REQUEST, runtime.hubId() + " has no peer configured (quotahub.peer-id)");
        }
        Replication.DeclareDeadResult result = replication.declarePeerDead();
        DeclareDeadBody body = new DeclareDeadBody(runtime.hubId(), replication.view().hubId(), result.declared(),
                result.status().name(), result.unitsTaken(), result.message());
        return result.declared() ? HttpResponse.ok(body) : HttpResponse.status(io.micronaut.http.HttpStatus.CONFLICT).body(body);
    }
}
