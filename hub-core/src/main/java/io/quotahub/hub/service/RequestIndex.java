package io.quotahub.hub.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * Remembers recent acquires by (agent, request id), so a retried request is answered with its
 * original result — never with a second grant. Refusals and errors are kept only briefly
 * ({@code keepOthers}: a retry after a refusal is a new attempt with a new id). A grant whose lease
 * is settled is kept until {@code keepOthers} after a sweep saw it settled: the agent had the
 * lease, so it stopped sending that request, and every copy it had sent carries a deadline at most
 * one request timeout (750 ms by default) after that, past which hubs refuse it. Grants still open
 * are kept for {@code keepGrants} (the lease time-to-live + 1 min). Kept for that long after their
 * settle too, the index held ≈ 1.8 M entries at 15 000 acquires/s, a third of the hub's 512 MB
 * heap, and its garbage-collection pauses reached 40–90 ms (docs/benchmarks.md section 4).
 *
 * <p>Entries are also queued in the order they were made, so {@link #sweep()} only looks at the
 * entries that are due: at thousands of grants per second the index holds millions of entries,
 * and scanning all of them four times a second took half of the hub's CPU (measured with JFR).
 */
public final class RequestIndex {

    private final Clock clock;
    private final Duration keepGrants;
    private final Duration keepOthers;
    private final Predicate<String> leaseOpen;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Every entry, oldest first, until it is {@code keepOthers} old. */
    private final Queue<Aged> recent = new ConcurrentLinkedQueue<>();
    /** Entries older than {@code keepOthers} that are kept until {@code keepGrants}: grants (and unfinished ones). */
    private final Queue<Aged> kept = new ConcurrentLinkedQueue<>();
    /** Grants whose lease a sweep saw settled, oldest sighting first, kept {@code keepOthers} longer. */
    private final Queue<Settled> settled = new ConcurrentLinkedQueue<>();

    private record Entry(CompletableFuture<AcquireOutcome> outcome, long createdAtMillis) {
    }

    private record Aged(String key, Entry entry) {
    }

    private record Settled(Aged aged, long seenAtMillis) {
    }

    /** {@code leaseOpen}: whether a lease (by id) is still open, neither settled nor expired. */
    public RequestIndex(Clock clock, Duration keepGrants, Duration keepOthers, Predicate<String> leaseOpen) {
        this.clock = clock;
        this.leaseOpen = leaseOpen;
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
        long grantsBefore = now - keepGrants.toMillis();
        for (Aged a = recent.peek(); a != null && a.entry.createdAtMillis < othersBefore; a = recent.peek()) {
            recent.poll();
            if (entries.get(a.key) != a.entry) {
                continue; // forgotten or replaced meanwhile
            }
            CompletableFuture<AcquireOutcome> outcome = a.entry.outcome;
            if (!outcome.isDone()) {
                kept.add(a);
            } else if (!(outcome.getNow(null) instanceof AcquireOutcome.Granted g) || a.entry.createdAtMillis < grantsBefore) {
                entries.remove(a.key, a.entry); // a refusal or an error, or a grant past the longest keep
            } else if (g.lease() != null && !leaseOpen.test(g.lease().leaseId())) {
                settled.add(new Settled(a, now));
            } else {
                kept.add(a);
            }
        }
        for (Settled s = settled.peek(); s != null && s.seenAtMillis < othersBefore; s = settled.peek()) {
            settled.poll();
            entries.remove(s.aged.key, s.aged.entry);
        }
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
