package io.quotahub.hub.service;

import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic housekeeping: settles leases nobody completed before their expiry (an agent that died
 * holding a lease), advances the engine's thermal clock and forgets old request ids.
 */
public final class LeaseReaper implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseReaper.class);

    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final RequestIndex requests;
    private final String hubId;

    public LeaseReaper(QuotaEngine engine, HubLedger ledger, RequestIndex requests, String hubId) {
        this.engine = engine;
        this.ledger = ledger;
        this.requests = requests;
        this.hubId = hubId;
    }

    @Override
    public void run() {
        try {
            Ledger target = ledger.current();
            if (target != null) {
                for (Settlement expired : engine.expireDue()) {
                    // Best effort: if this append is lost, a replay expires the lease at the same time again.
                    target.append(LedgerEvents.settle(hubId, expired));
                }
            }
            engine.tick();
            requests.sweep();
        } catch (RuntimeException e) {
            LOG.warn("housekeeping failed: {}", e.toString());
        }
    }
}
