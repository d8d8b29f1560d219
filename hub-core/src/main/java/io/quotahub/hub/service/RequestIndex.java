package io.quotahub.hub.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers recent acquires by (agent, request id), so a retried request is answered with its
 * original result — never with a second grant. Grants are kept for the lease time-to-live (plus a
 * margin), refusals and errors only briefly (a retry after a refusal is a new attempt with a new id).
 * Bounded by time, not by the ledger's age: a replayed grant older than that is not remembered at
 * all, since no retry of its request can still come.
 */
public final class RequestIndex {

    private final Clock clock;
    private final Duration keepGrants;
    private final Duration keepOthers;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    private record Entry(CompletableFuture<AcquireOutcome> outcome, long createdAtMillis) {
    }

    public RequestIndex(Clock clock, Duration keepGrants, Duration keepOthers) {
        this.clock = clock;
        this.keepGrants = keepGrants;
        this.keepOthers = keepOthers;
    }

    /**
     * Claims a request id. Returns null if it is new (the caller must then {@code complete} the
     * given future), or the future of the earlier request with the same id.
     */
    public CompletableFuture<AcquireOutcome> claim(String agentId, String requestId, CompletableFuture<AcquireOutcome> mine) {
        Entry existing = entries.putIfAbsent(key(agentId, requestId), new Entry(mine, clock.millis()));
        return existing == null ? null : existing.outcome;
    }

    /**
     * Records a grant read from the ledger, so retries across a restart still find it; a grant
     * made at {@code atMillis} that is already past the keep time is ignored.
     */
    public void remember(String agentId, String requestId, AcquireOutcome outcome, long atMillis) {
        if (remembers(atMillis)) {
            entries.put(key(agentId, requestId), new Entry(CompletableFuture.completedFuture(outcome), atMillis));
        }
    }

    /** True if a grant made at {@code grantedAtMillis} may still see its request retried (worth remembering). */
    public boolean remembers(long grantedAtMillis) {
        return clock.millis() - grantedAtMillis <= keepGrants.toMillis();
    }

    public void forget(String agentId, String requestId) {
        entries.remove(key(agentId, requestId));
    }

    /** Forgets entries older than their keep time; call periodically. */
    public void sweep() {
        long now = clock.millis();
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (!e.outcome.isDone()) {
                continue;
            }
            boolean grant = e.outcome.getNow(null) instanceof AcquireOutcome.Granted;
            long keep = (grant ? keepGrants : keepOthers).toMillis();
            if (now - e.createdAtMillis > keep) {
                it.remove();
            }
        }
    }

    public int size() {
        return entries.size();
    }

    private static String key(String agentId, String requestId) {
        return agentId + '\u0000' + requestId;
    }
}
