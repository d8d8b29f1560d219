package io.quotahub.hub.service;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The settle path: validate → append the Settle to the ledger → apply it to the engine. Settling
 * twice is answered as a success that changed nothing.
 */
public final class SettleService {

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final Clock clock;
    private final String hubId;
    private final ReplyDeadline replyDeadline;

    public SettleService(QuotaEngine engine, HubLedger ledger, Clock clock, String hubId, Duration replyTimeout) {
        this.replyDeadline = new ReplyDeadline(replyTimeout);
        this.engine = engine;
        this.ledger = ledger;
        this.clock = clock;
        this.hubId = hubId;
    }

    public CompletableFuture<SettleOutcome> settle(SettleCommand cmd) {
        SettleOutcome.Failed invalid = validate(cmd);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Ledger target = ledger.current();
        if (target == null) {
            return failed(ErrorCode.UNAVAILABLE, "hub is starting: its ledger is not replayed yet");
        }
        Duration retryAfter = cmd.retryAfter() == null ? Duration.ZERO : cmd.retryAfter();
        Settlement settlement = new Settlement(cmd.leaseId(), cmd.tokensUsed(), cmd.outcome(), retryAfter, clock.instant());
        if (engine.openLease(cmd.leaseId()).isEmpty()) {
            // Not open: settling changes nothing, it only tells us whether the lease ever existed.
            SettleResult known = engine.settle(settlement);
            return known == SettleResult.UNKNOWN_LEASE
                    ? failed(ErrorCode.UNKNOWN_LEASE, "unknown lease '" + cmd.leaseId() + "'")
                    : CompletableFuture.completedFuture(new SettleOutcome.Settled(false));
        }
        return replyDeadline.within(target.append(LedgerEvents.settle(hubId, settlement)).handle((ok, error) -> {
            if (error != null) {
                return (SettleOutcome) new SettleOutcome.Failed(ErrorCode.UNAVAILABLE, "settle could not be made durable; retry");
            }
            return new SettleOutcome.Settled(engine.settle(settlement) == SettleResult.SETTLED);
        }), new SettleOutcome.Failed(ErrorCode.UNAVAILABLE, "the ledger did not confirm the settle in time; retry"));
    }

    private SettleOutcome.Failed validate(SettleCommand cmd) {
        if (cmd.leaseId() == null || cmd.leaseId().isBlank()) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "leaseId is missing");
        }
        if (cmd.outcome() == null) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "outcome must be one of OK, RATE_LIMITED, ERROR, AUTH_FAILED");
        }
        if (cmd.tokensUsed() < 0) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "tokensUsed must be >= 0, was " + cmd.tokensUsed());
        }
        if (cmd.retryAfter() != null && cmd.retryAfter().isNegative()) {
            return new SettleOutcome.Failed(ErrorCode.BAD_REQUEST, "retryAfterMs must be >= 0");
        }
        if (cmd.deadline() != null && !cmd.deadline().isAfter(clock.instant())) {
            return new SettleOutcome.Failed(ErrorCode.DEADLINE_EXCEEDED, "request deadline " + cmd.deadline() + " has passed");
        }
        return null;
    }

    private static CompletableFuture<SettleOutcome> failed(ErrorCode code, String message) {
        return CompletableFuture.completedFuture(new SettleOutcome.Failed(code, message));
    }
}
