package io.quotahub.engine.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Ids of settled leases, remembered long enough (lease TTL + the longest window) that a retried
 * or replayed settle is answered ALREADY_SETTLED instead of being charged twice; forgotten in
 * settle order after that, and capped, so memory stays bounded.
 */
final class SettledIds {

    static final int MAX_REMEMBERED = 1 << 20;

    private final long retentionMillis;
    private final Map<String, Long> forgetAt = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();

    SettledIds(long retentionMillis) {
        this.retentionMillis = retentionMillis;
    }

    void add(String leaseId, long now) {
        if (forgetAt.put(leaseId, now + retentionMillis) == null) {
            order.add(leaseId);
        }
    }

    boolean contains(String leaseId) {
        return forgetAt.containsKey(leaseId);
    }

    int size() {
        return forgetAt.size();
    }

    /** Forgets ids whose retention is over (and the oldest ones beyond the cap). */
    synchronized void prune(long now) {
        while (true) {
            String oldest = order.peek();
            if (oldest == null) {
                return;
            }
            Long until = forgetAt.get(oldest);
            if (until != null && until > now && forgetAt.size() <= MAX_REMEMBERED) {
                return;
            }
            order.poll();
            forgetAt.remove(oldest);
        }
    }
}
