package io.quotahub.hub.audit;

import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.proto.LedgerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds, while the hub replays its own ledger at start-up, the admin actions the audit stream is
 * missing — a crash between the ledger's acknowledgement and the audit copy, or a ledger older than
 * the audit — and copies them afterwards. Only batches after the last audited ledger sequence are
 * looked at, and only actions younger than the audit's max age are copied (older ones would only be
 * dropped again). The look is one comparison per batch before that sequence, one per event after.
 * A hub that starts from a snapshot replays only the ledger after it, so it finds only the actions
 * there: the backfill mends a lost copy, it does not rebuild a lost audit stream in full.
 */
public final class AuditBackfill {

    private static final Logger LOG = LoggerFactory.getLogger(AuditBackfill.class);

    private final long lastAuditedSeq;
    private final long notBeforeEpochMs;
    private final List<Missing> missing = new ArrayList<>();

    private record Missing(long seq, LedgerEvent event) {
    }

    /**
     * @param lastAuditedSeq   the ledger sequence of the newest audit entry (0: none)
     * @param notBeforeEpochMs actions older than this are not copied (now − the audit's max age)
     */
    public AuditBackfill(long lastAuditedSeq, long notBeforeEpochMs) {
        this.lastAuditedSeq = lastAuditedSeq;
        this.notBeforeEpochMs = notBeforeEpochMs;
    }

    /** Looks at one replayed batch of the hub's own ledger. */
    public void observe(StoredBatch batch) {
        if (batch.seq() <= lastAuditedSeq) {
            return;
        }
        for (LedgerEvent event : batch.events()) {
            if (AuditedLedger.isAdminAction(event) && event.getAtEpochMs() >= notBeforeEpochMs) {
                missing.add(new Missing(batch.seq(), event));
            }
        }
    }

    /** How many actions were found missing. */
    public int missing() {
        return missing.size();
    }

    /** Copies the missing actions to the audit stream (in the background; failures are logged). */
    public void copyTo(AuditStore audit, String hubId) {
        if (missing.isEmpty()) {
            return;
        }
        LOG.info("hub {}: copying {} admin action(s) of the ledger that the audit stream is missing", hubId, missing.size());
        for (Missing m : missing) {
            audit.append(m.seq(), m.event()).whenComplete((ack, error) -> {
                if (error != null) {
                    LOG.error("audit: the admin action at ledger sequence {} could not be copied to the audit stream: {}",
                            m.seq(), error.toString());
                }
            });
        }
    }
}
