package io.quotahub.hub.ledger;

import io.quotahub.engine.Lease;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.proto.LedgerEvent;

import java.util.function.Consumer;

/**
 * Applies ledger events to the engine: the "fold" that rebuilds a hub's state on restart
 * (DESIGN.md "State = fold"). Events the engine has already seen change nothing.
 */
public final class LedgerFold implements Consumer<LedgerEvent> {

    private final QuotaEngine engine;
    private final Consumer<Lease> onGrant;

    /** @param onGrant told of every replayed grant (e.g. to answer retried request ids) */
    public LedgerFold(QuotaEngine engine, Consumer<Lease> onGrant) {
        this.engine = engine;
        this.onGrant = onGrant;
    }

    @Override
    public void accept(LedgerEvent event) {
        switch (event.getEventCase()) {
            case GRANT -> {
                Lease lease = LedgerEvents.lease(event);
                engine.replayGrant(lease);
                onGrant.accept(lease);
            }
            case SETTLE -> engine.settle(LedgerEvents.settlement(event));
            case EXPIRE -> {
                Settlement expired = LedgerEvents.settlement(event);
                long estimate = engine.openLease(expired.leaseId()).map(Lease::tokens).orElse(0L);
                engine.settle(new Settlement(expired.leaseId(), estimate, Outcome.EXPIRED, expired.retryAfter(), expired.settledAt()));
            }
            default -> {
                // ConfigApplied and later event types carry nothing the engine folds today.
            }
        }
    }
}
