package io.quotahub.hub.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.security.annotation.Secured;
import io.quotahub.hub.HubRuntime;
import io.quotahub.hub.audit.AuditStore;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.metrics.GuardMetrics;
import io.quotahub.hub.metrics.Entrance;
import io.quotahub.hub.service.ErrorCode;
import io.quotahub.hub.metrics.RejectReason;
import io.quotahub.proto.AuditEntry;
import io.quotahub.proto.LedgerEvent;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /api/v1/admin/audit?since=}: the admin actions (key enabled, key reset, peer declared
 * dead) since an ISO-8601 instant or epoch milliseconds (default: 24 h ago), of this hub and of its
 * peer when the peer's audit stream answers. Read from the hubs' audit streams, never from the
 * ledger.
 */
@Secured("OPERATOR")
@Controller("/api/v1/admin")
public class AuditController {

    /** The most actions one answer lists per hub. */
    static final int MAX_PER_HUB = 1_000;
    static final Duration DEFAULT_SPAN = Duration.ofHours(24);

    private final HubRuntime runtime;
    private final HubSettings settings;
    private final Clock clock;
    private final GuardMetrics metrics;

    public AuditController(HubRuntime runtime, HubSettings settings, Clock clock, GuardMetrics metrics) {
        this.runtime = runtime;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Get("/audit")
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<?> audit(@Nullable @QueryValue("since") String since) {
        Instant from;
        try {
            from = parseSince(since, clock.instant());
        } catch (IllegalArgumentException e) {
            metrics.rejected(Entrance.HTTP_ADMIN, RejectReason.INVALID);
            return ApiError.badRequest(e.getMessage());
        }
        AuditStore audit = runtime.audit();
        if (audit == null) {
            return ApiError.response(ErrorCode.UNAVAILABLE, "hub is starting");
        }
        List<AuditBody.Action> actions = new ArrayList<>();
        List<AuditBody.Source> sources = new ArrayList<>();
        read(settings.hubId(), () -> audit.readOwn(from, MAX_PER_HUB), actions, sources);
        if (settings.hasPeer()) {
            read(settings.peerId(), () -> audit.readPeer(settings.peerId(), settings.peerJetStreamDomain(), from, MAX_PER_HUB),
                    actions, sources);
        }
        actions.sort(Comparator.comparing((AuditBody.Action a) -> Instant.parse(a.at()))
                .thenComparing(AuditBody.Action::hub).thenComparingLong(AuditBody.Action::ledgerSeq));
        return HttpResponse.ok(new AuditBody(settings.hubId(), from.toString(), actions, sources));
    }

    /** A read of one hub's audit stream. */
    @FunctionalInterface
    private interface Reader {
        AuditStore.Read read() throws IOException;
    }

    private static void read(String hub, Reader reader, List<AuditBody.Action> actions, List<AuditBody.Source> sources) {
        try {
            AuditStore.Read read = reader.read();
            read.entries().forEach(e -> actions.add(action(e)));
            sources.add(new AuditBody.Source(hub, true, read.truncated(), null));
        } catch (IOException | RuntimeException e) {
            sources.add(new AuditBody.Source(hub, false, false, "audit of hub " + hub + " could not be read: " + e.getMessage()));
        }
    }

    /**
     * {@code since} as an instant: ISO-8601 ({@code 2025-01-31T12:00:00Z}) or epoch milliseconds;
     * absent or blank means 24 h before {@code now}.
     *
     * @throws IllegalArgumentException naming what is accepted
     */
    static Instant parseSince(String since, Instant now) {
        if (since == null || since.isBlank()) {
            return now.minus(DEFAULT_SPAN);
        }
        String text = since.strip();
        if (text.length() <= 19 && text.chars().allMatch(Character::isDigit)) {
            return Instant.ofEpochMilli(Long.parseLong(text));
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            String shown = text.length() > 64 ? text.substring(0, 64) + "…" : text;
            throw new IllegalArgumentException("since must be an ISO-8601 instant like 2025-01-31T12:00:00Z or epoch"
                    + " milliseconds, was '" + shown + "'");
        }
    }

    static AuditBody.Action action(AuditEntry entry) {
        LedgerEvent e = entry.getEvent();
        String at = Instant.ofEpochMilli(e.getAtEpochMs()).toString();
        return switch (e.getEventCase()) {
            case KEY_ENABLED -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), who(e.getKeyEnabled().getPrincipal()),
                    "key-enabled", e.getKeyEnabled().getPool(), e.getKeyEnabled().getKeyId(), null);
            case KEY_RESET -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), who(e.getKeyReset().getPrincipal()),
                    "key-reset", e.getKeyReset().getPool(), e.getKeyReset().getKeyId(), null);
            case KEY_ROTATED -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), who(e.getKeyRotated().getPrincipal()),
                    "key-rotated", e.getKeyRotated().getPool(), e.getKeyRotated().getKeyId(), null);
            case CONFIG_APPLIED -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), who(e.getConfigApplied().getPrincipal()),
                    "config-reloaded v" + e.getConfigApplied().getVersion(), null, null, null);
            case TAKEOVER -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), who(e.getTakeover().getPrincipal()),
                    "peer-declared-dead", null, null, e.getTakeover().getPeerHub());
            default -> new AuditBody.Action(at, e.getHubId(), entry.getLedgerSeq(), "unknown",
                    e.getEventCase().name().toLowerCase(java.util.Locale.ROOT), null, null, null);
        };
    }

    private static String who(String principal) {
        return principal.isEmpty() ? "unknown" : principal;
    }
}
