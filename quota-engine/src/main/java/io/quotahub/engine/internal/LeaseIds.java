package io.quotahub.engine.internal;

/**
 * Lease ids {@code <hubId>-<epoch base36>-<seq base36>}: the epoch is the clock at start, so ids of
 * a restarted hub differ from the last run's; ids replayed from the ledger move the counter past
 * them, so a hub whose clock went back still cannot reuse one. Ordered by (epoch, seq).
 */
final class LeaseIds {

    private final String prefix;
    private long epoch;
    private long seq;

    LeaseIds(String hubId, long startMillis) {
        this.prefix = hubId + "-";
        this.epoch = startMillis;
    }

    synchronized String next() {
        return prefix + Long.toString(epoch, 36) + "-" + Long.toString(seq++, 36);
    }

    /** Moves past an id read from a ledger, if it is one of this hub's. */
    synchronized void observe(String leaseId) {
        long[] parsed = parse(prefix, leaseId);
        if (parsed == null) {
            return;
        }
        if (parsed[0] > epoch || (parsed[0] == epoch && parsed[1] >= seq)) {
            epoch = parsed[0];
            seq = parsed[1] + 1;
        }
    }

    /** {epoch, seq} of an id with this prefix, or null if it is not one of ours. */
    static long[] parse(String prefix, String leaseId) {
        if (leaseId == null || !leaseId.startsWith(prefix)) {
            return null;
        }
        String rest = leaseId.substring(prefix.length());
        int dash = rest.lastIndexOf('-');
        if (dash <= 0 || dash == rest.length() - 1 || rest.indexOf('-') != dash) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(rest.substring(0, dash), 36), Long.parseLong(rest.substring(dash + 1), 36)};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
