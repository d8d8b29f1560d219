package io.quotahub.hub.audit;

import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.StoredBatch;
import io.quotahub.proto.LedgerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The hub's ledger, with every admin action copied to the audit stream once the ledger stored it:
 * whoever appends one (an admin route, the declare-dead of the replication) is audited, without
 * knowing of the audit. Any other event (grants, settles: the hot path) passes straight through:
 * one look at the event's case, nothing more.
 *
 * <p>The audit copy is best effort after the fact: the ledger is the record, the audit stream an
 * index of it. A copy that fails is retried a few times (the ledger sequence is its message id,
 * so it is stored once) and then logged with everything needed to find the event in the ledger.
 */
public final class AuditedLedger implements Ledger {

    private static final Logger LOG = LoggerFactory.getLogger(AuditedLedger.class);
    private static final int ATTEMPTS = 3;

    private final Ledger ledger;
    private final AuditStore audit;

    public AuditedLedger(Ledger ledger, AuditStore audit) {
        this.ledger = ledger;
        this.audit = audit;
    }

    /**
     * An admin action: a key enabled, reset or rotated, a reload accepted (not the peer's following
     * of it), or a peer declared dead by an operator.
     */
    public static boolean isAdminAction(LedgerEvent event) {
        return switch (event.getEventCase()) {
            case KEY_ENABLED, KEY_RESET, KEY_ROTATED -> true;
            case CONFIG_APPLIED -> event.getConfigApplied().getFollowsHub().isEmpty();
            case TAKEOVER -> event.getTakeover().getDeclared();
            default -> false;
        };
    }

    @Override
    public CompletableFuture<Long> append(LedgerEvent event) {
        CompletableFuture<Long> stored = ledger.append(event);
        if (!isAdminAction(event)) {
            return stored;
        }
        return stored.whenComplete((seq, error) -> {
            if (error == null) {
                copy(seq, event, 1);
            }
        });
    }

    private void copy(long seq, LedgerEvent event, int attempt) {
        CompletableFuture<?> sent;
        try {
            sent = audit.append(seq, event);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((ack, error) -> {
            if (error == null) {
                return;
            }
            if (attempt < ATTEMPTS) {
                copy(seq, event, attempt + 1);
            } else {
                LOG.error("audit: the admin action at ledger sequence {} ({} by '{}') is in the ledger but could not be"
                        + " copied to the audit stream: {}", seq, event.getEventCase(), principalOf(event), error.toString());
            }
        });
    }

    /** The principal recorded in an admin event ("" if none). */
    public static String principalOf(LedgerEvent event) {
        return switch (event.getEventCase()) {
            case KEY_ENABLED -> event.getKeyEnabled().getPrincipal();
            case KEY_RESET -> event.getKeyReset().getPrincipal();
            case KEY_ROTATED -> event.getKeyRotated().getPrincipal();
            case CONFIG_APPLIED -> event.getConfigApplied().getPrincipal();
            case TAKEOVER -> event.getTakeover().getPrincipal();
            default -> "";
        };
    }

    @Override
    public ReplayResult replay(Consumer<StoredBatch> sink, LongSupplier peerCursor) {
        return ledger.replay(sink, peerCursor);
    }

    @Override
    public boolean fenced() {
        return ledger.fenced();
    }

    @Override
    public long fenceSeq() {
        return ledger.fenceSeq();
    }

    @Override
    public void resume() {
        ledger.resume();
    }

    @Override
    public void learnFence(long fenceSeq) {
        ledger.learnFence(fenceSeq);
    }

    @Override
    public void onFence(FenceListener listener) {
        ledger.onFence(listener);
    }

    @Override
    public void close() {
        ledger.close();
    }
}
