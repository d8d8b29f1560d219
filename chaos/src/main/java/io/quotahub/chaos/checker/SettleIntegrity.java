package io.quotahub.chaos.checker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether each lease was closed in the ledgers the way its holder settled it. A lease that a
 * ledger closes with another outcome (or other tokens, or as expired) was closed by someone else:
 * a forged settle or a forged heartbeat took effect.
 */
public final class SettleIntegrity {

    /**
     * How a lease was closed.
     *
     * @param outcome    OK, RATE_LIMITED, ERROR, AUTH_FAILED or EXPIRED
     * @param tokens     tokens used as settled (compared only for OK; -1 when unknown)
     * @param atEpochMs  when (ledger time; 0 for what a holder sent)
     */
    public record Closing(String outcome, long tokens, long atEpochMs) {
    }

    private SettleIntegrity() {
    }

    /**
     * The leases of {@code sent} (lease id → what the holder settled) that the ledgers closed
     * differently, as "lease: sent OK 80, ledger AUTH_FAILED". Leases no ledger has closed yet are
     * not judged here.
     */
    public static List<String> mismatches(Map<String, Closing> sent, Map<String, Closing> ledger) {
        List<String> out = new ArrayList<>();
        sent.forEach((leaseId, mine) -> {
            Closing seen = ledger.get(leaseId);
            if (seen == null) {
                return;
            }
            boolean same = seen.outcome().equals(mine.outcome()) && (!mine.outcome().equals("OK") || seen.tokens() == mine.tokens());
            if (!same) {
                out.add(leaseId + ": sent " + text(mine) + ", ledger " + text(seen));
            }
        });
        out.sort(null);
        return out;
    }

    private static String text(Closing c) {
        return c.outcome() + (c.outcome().equals("OK") ? " " + c.tokens() : "");
    }
}
