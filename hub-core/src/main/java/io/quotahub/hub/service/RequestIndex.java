package io.quotahub.hub.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Remembers recent acquires by (agent, request id), so a retried request is answered with its
 * original result — never with a second grant. Grants are kept for the lease time-to-live,
 * refusals and errors only briefly (a retry after a refusal is a new attempt with a new id).
 *
 * <p>Entries are also queued in the order they were made, so {@link #sweep()} only looks at the
 * entries that are due: at thousands of grants per second the index holds millions of entries,
 * and scanning all of them four times a second took half of the hub's CPU (measured with JFR).
 */
public final class RequestIndex {

    private final Clock clock;
    private final Duration keepGrants;
    private final Duration keepOthers;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Every entry, oldest first, until it is {@code keepOthers} old. */
    private final Queue<Aged> recent = new ConcurrentLinkedQueue<>();
    /** Entries older than {@code keepOthers} that are kept until {@code keepGrants}: grants (and unfinished ones). */
    private final Queue<Aged> kept = new ConcurrentLinkedQueue<>();

    private record Entry(CompletableFuture<AcquireOutcome> outcome, long createdAtMillis) {
    }

    private record Aged(String key, Entry entry) {
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
        String key = key(agentId, requestId);
        Entry entry = new Entry(mine, clock.millis());
        Entry existing = entries.putIfAbsent(key, entry);
        if (existing != null) {
            return existing.outcome;
        }
        recent.add(new Aged(key, entry));
        return null;
    }

    /**
     * Records a grant read from the ledger, so retries across a restart still find it; a grant
     * made at {@code atMillis} that is already past the keep time is ignored (no retry of its
     * request can still come, so the index stays bounded by time, not by the ledger's age).
     */
    public void remember(String agentId, String requestId, AcquireOutcome outcome, long atMillis) {
        if (!remembers(atMillis)) {
            return;
        }
        String key = key(agentId, requestId);
        Entry entry = new Entry(CompletableFuture.completedFuture(outcome), atMillis);
        entries.put(key, entry);
        recent.add(new Aged(key, entry));
    }

    /** True if a grant made at {@code grantedAtMillis} may still see its request retried (worth remembering). */
    public boolean remembers(long grantedAtMillis) {
        return clock.millis() - grantedAtMillis <= keepGrants.toMillis();
    }

    public void forget(String agentId, String requestId) {
        entries.remove(key(agentId, requestId));
    }

    /** Forgets entries older than their keep time; call periodically (from one thread). */
    public void sweep() {
        long now = clock.millis();
        long othersBefore = now - keepOthers.toMillis();
        for (Aged a = recent.peek(); a != null && a.entry.createdAtMillis < othersBefore; a = recent.peek()) {
            recent.poll();
            if (entries.get(a.key) != a.entry) {
                continue; // forgotten or replaced meanwhile
            }
            CompletableFuture<AcquireOutcome> outcome = a.entry.outcome;
            if (outcome.isDone() && !(outcome.getNow(null) instanceof AcquireOutcome.Granted)) {
                entries.remove(a.key, a.entry);
            } else {
                kept.add(a);
            }
        }
        long grantsBefore = now - keepGrants.toMillis();
        for (Aged a = kept.peek(); a != null && a.entry.createdAtMillis < grantsBefore; a = kept.peek()) {
            kept.poll();
            entries.remove(a.key, a.entry);
        }
    }

    public int size() {
        return entries.size();
    }

    private static String key(String agentId, String requestId) {
        return agentId + '\u0000' + requestId;
    }
}
