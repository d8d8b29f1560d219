package io.quotahub.hub.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>The index never holds more than {@code maxEntries}: when it is full, {@link #claim} of a new
 * request id answers {@link #FULL} (the hub refuses the acquire as overloaded, at once) and a grant
 * read from the ledger is not remembered (a retry of its request then gets a new decision).
 */
public final class RequestIndex {

    /** What {@link #claim} answers when the index is full: nothing was claimed. Compare by identity. */
    public static final CompletableFuture<AcquireOutcome> FULL = CompletableFuture.completedFuture(
            new AcquireOutcome.Failed(ErrorCode.UNAVAILABLE, "the request index is full"));
    /** No cap. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    private final int maxEntries;
    /** Entries in {@link #entries}: reserved before an insert, so the map never grows past the cap. */
    private final AtomicInteger size = new AtomicInteger();
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

    /** {@code leaseOpen}: whether a lease (by id) is still open, neither settled nor expired. Without a cap. */
    public RequestIndex(Clock clock, Duration keepGrants, Duration keepOthers, Predicate<String> leaseOpen) {
        this(clock, keepGrants, keepOthers, leaseOpen, UNBOUNDED);
    }

    /** With a cap of {@code maxEntries} request ids. */
    public RequestIndex(Clock clock, Duration keepGrants, Duration keepOthers, Predicate<String> leaseOpen, int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.leaseOpen = leaseOpen;
        this.keepGrants = keepGrants;
        this.keepOthers = keepOthers;
    }

    /**
     * Claims a request id. Returns null if it is new (the caller must then {@code complete} the
     * given future), the future of the earlier request with the same id, or {@link #FULL} when the
     * id is new and the index holds {@code maxEntries} already.
     */
    public CompletableFuture<AcquireOutcome> claim(String agentId, String requestId, CompletableFuture<AcquireOutcome> mine) {
        String key = key(agentId, requestId);
        Entry existing = entries.get(key);
        if (existing != null) {
            return existing.outcome; // a retry finds its request even when the index is full
        }
        if (!reserve()) {
            return FULL;
        }
        Entry entry = new Entry(mine, clock.millis());
        existing = entries.putIfAbsent(key, entry);
        if (existing != null) {
            size.decrementAndGet();
            return existing.outcome;
        }
        recent.add(new Aged(key, entry));
        return null;
    }

    private boolean reserve() {
        if (size.incrementAndGet() > maxEntries) {
            size.decrementAndGet();
            return false;
        }
        return true;
    }

    private void removed(String key, Entry entry) {
        if (entries.remove(key, entry)) {
            size.decrementAndGet();
        }
    }

    /**
     * Records a grant read from the ledger, so retries across a restart still find it; a grant
     * made at {@code atMillis} that is already past the keep time is ignored (no retry of its
     * request can still come, so the index stays bounded by time, not by the ledger's age), and
     * so is any grant while the index is full. An entry the request id has already is kept: it
     * is this hub's own answer to the same request, which holds more (the lease secret).
     *
     * @return false when it was not remembered
     */
    public boolean remember(String agentId, String requestId, AcquireOutcome outcome, long atMillis) {
        if (!remembers(atMillis)) {
            return false;
        }
        String key = key(agentId, requestId);
        if (entries.containsKey(key) || !reserve()) {
            return false;
        }
        Entry entry = new Entry(CompletableFuture.completedFuture(outcome), atMillis);
        if (entries.putIfAbsent(key, entry) != null) {
            size.decrementAndGet();
            return false;
        }
        recent.add(new Aged(key, entry));
        return true;
    }

    /**
     * Replaces the entry of a request id whose future is {@code expected} by {@code mine}, made now.
     *
     * @return {@code mine} when replaced, else the id's current future (null when it has none)
     */
    public CompletableFuture<AcquireOutcome> replace(String agentId, String requestId, CompletableFuture<AcquireOutcome> expected,
                                                     CompletableFuture<AcquireOutcome> mine) {
        String key = key(agentId, requestId);
        Entry entry = new Entry(mine, clock.millis());
        while (true) {
            Entry current = entries.get(key);
            if (current == null || current.outcome != expected) {
                return current == null ? null : current.outcome;
            }
            if (entries.replace(key, current, entry)) {
                recent.add(new Aged(key, entry));
                return mine;
            }
        }
    }

    /** The future a request id is held with now, or null when it is not remembered. */
    public CompletableFuture<AcquireOutcome> current(String agentId, String requestId) {
        Entry entry = entries.get(key(agentId, requestId));
        return entry == null ? null : entry.outcome;
    }

    /** True if a grant made at {@code grantedAtMillis} may still see its request retried (worth remembering). */
    public boolean remembers(long grantedAtMillis) {
        return clock.millis() - grantedAtMillis <= keepGrants.toMillis();
    }

    public void forget(String agentId, String requestId) {
        if (entries.remove(key(agentId, requestId)) != null) {
            size.decrementAndGet();
        }
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
            } else if (!(outcome.getNow(null) instanceof AcquireOutcome.Leased g) || a.entry.createdAtMillis < grantsBefore) {
                removed(a.key, a.entry); // a refusal or an error, or a grant past the longest keep
            } else if (g.lease() != null && !leaseOpen.test(g.lease().leaseId())) {
                settled.add(new Settled(a, now));
            } else {
                kept.add(a);
            }
        }
        for (Settled s = settled.peek(); s != null && s.seenAtMillis < othersBefore; s = settled.peek()) {
            settled.poll();
            removed(s.aged.key, s.aged.entry);
        }
        for (Aged a = kept.peek(); a != null && a.entry.createdAtMillis < grantsBefore; a = kept.peek()) {
            kept.poll();
            removed(a.key, a.entry);
        }
    }

    /** Request ids held now (never above {@link #maxEntries()}). */
    public int size() {
        return size.get();
    }

    public int maxEntries() {
        return maxEntries;
    }

    private static String key(String agentId, String requestId) {
        return agentId + '\u0000' + requestId;
    }
}
