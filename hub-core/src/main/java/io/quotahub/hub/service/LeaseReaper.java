package io.quotahub.hub.service;

import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.engine.Settlement;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import org.slf4j.Logger;
import java.util.function.Predicate;
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
    private final Predicate<String> mayExpire;

    /** @param mayExpire whether this hub records the expiry of a lease granted by the given hub */
    public LeaseReaper(QuotaEngine engine, HubLedger ledger, RequestIndex requests, String hubId, Predicate<String> mayExpire) {
        this.engine = engine;
        this.ledger = ledger;
        this.requests = requests;
        this.hubId = hubId;
        this.mayExpire = mayExpire;
    }

    /** The hub that granted a lease: lease ids are {@code <hub>-<epoch>-<n>}. */
    static String hubOf(String leaseId) {
        int last = leaseId.lastIndexOf('-');
        int epoch = last > 0 ? leaseId.lastIndexOf('-', last - 1) : -1;
        return epoch > 0 ? leaseId.substring(0, epoch) : leaseId;
    }

    @Override
    public void run() {
        try {
            Ledger target = ledger.current();
            if (target != null) {
                for (Settlement expired : engine.expireDue()) {
                    // Both hubs expire a lease at the same time; only its owner records it. Best effort:
                    // if this append is lost, a replay expires the lease at the same time again.
                    if (mayExpire.test(hubOf(expired.leaseId()))) {
                        target.append(LedgerEvents.settle(hubId, expired));
                    }
                }
            }
            engine.tick();
            requests.sweep();
        } catch (RuntimeException e) {
            LOG.warn("housekeeping failed: {}", e.toString());
        }
    }
}
