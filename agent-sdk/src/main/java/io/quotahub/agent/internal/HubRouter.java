package io.quotahub.agent.internal;

import io.quotahub.proto.Subjects;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Which route the next request attempt takes. Knows the hubs (from their announcements on
 * {@link Subjects#HUBS} and from replies) and which routes are suspect.
 *
 * <p>Order of routes within one round: the queue route (NATS prefers the local hub), then each
 * known hub's direct subject (ready, recently seen first); suspect routes come last. A route is
 * suspect for {@link #SUSPECT_TTL_NANOS} after it timed out, or until its hub announces itself
 * again as ready (failback). When the queue route times out, the hub that last answered on the
 * queue (the local hub, as NATS prefers it) becomes suspect too.
 */
final class HubRouter {

    /** How long a route that timed out is skipped. */
    static final long SUSPECT_TTL_NANOS = 5_000_000_000L;
    /** A hub not heard from for this long is tried after the fresh ones (it announces ~1/s). */
    static final long STALE_NANOS = 3_500_000_000L;

    private static final class Hub {
        final String id;
        final Route acquire;
        final Route settle;
        volatile long lastSeen;
        volatile boolean ready = true;
        volatile long suspectAt;

        Hub(String id) {
            this.id = id;
            this.acquire = Route.direct(Subjects.hubAcquire(id), id);
            this.settle = Route.direct(Subjects.hubSettle(id), id);
        }
    }

    private static final Route ACQUIRE_QUEUE = Route.queue(Subjects.ACQUIRE);
    private static final Route SETTLE_QUEUE = Route.queue(Subjects.SETTLE);

    private final Map<String, Hub> hubs = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private volatile String lastQueueHub;
    private volatile long queueSuspectAt;
    private volatile String queueSuspectHub;

    HubRouter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    private Hub hub(String id) {
        Hub h = hubs.get(id); // nearly always known: a get takes no lock
        return h != null ? h : hubs.computeIfAbsent(id, Hub::new);
    }

    /** A hub announced itself; a ready announcement clears its suspicion (failback). */
    void onAnnouncement(String hubId, boolean ready) {
        if (hubId == null || hubId.isBlank()) {
            return;
        }
        Hub h = hub(hubId);
        h.lastSeen = nanoTime.getAsLong();
        h.ready = ready;
        if (ready) {
            h.suspectAt = 0;
            if (hubId.equals(queueSuspectHub)) {
                queueSuspectAt = 0;
                queueSuspectHub = null;
            }
        }
    }

    /** A hub answered on {@code route}: it is alive. */
    void onReply(Route route, String hubId) {
        if (hubId == null || hubId.isBlank()) {
            return;
        }
        Hub h = hub(hubId);
        h.lastSeen = nanoTime.getAsLong();
        h.suspectAt = 0;
        if (route.isQueue()) {
            lastQueueHub = hubId;
            queueSuspectAt = 0;
            queueSuspectHub = null;
        }
    }

    /** An attempt on {@code route} failed. */
    void onFailure(Route route, ClientMetrics.RouteFailure failure) {
        long now = nanoTime.getAsLong();
        if (route.isQueue()) {
            // "no responders" on the queue is immediate and cheap: nothing to remember
            if (failure == ClientMetrics.RouteFailure.TIMEOUT) {
                String local = lastQueueHub;
                queueSuspectHub = local;
                queueSuspectAt = now;
                if (local != null) {
                    hub(local).suspectAt = now;
                }
            }
        } else if (failure != ClientMetrics.RouteFailure.BAD_REPLY) {
            hub(route.hubId()).suspectAt = now;
            if (failure == ClientMetrics.RouteFailure.TIMEOUT && route.hubId().equals(lastQueueHub)) {
                // the queue delivers to that same (local) hub: do not pay its timeout twice
                queueSuspectHub = route.hubId();
                queueSuspectAt = now;
            }
        }
    }

    /** A hub answered that it cannot serve (e.g. fenced): go to the other one meanwhile. */
    void markUnavailable(Route route, String hubId) {
        long now = nanoTime.getAsLong();
        String id = hubId == null || hubId.isBlank() ? route.hubId() : hubId;
        if (id != null) {
            hub(id).suspectAt = now;
        }
        if (route.isQueue()) {
            queueSuspectHub = id;
            queueSuspectAt = now;
        }
    }

    /** Next acquire route not in {@code tried}, or null when the round is over. */
    Route nextAcquireRoute(Set<String> tried) {
        if (tried.isEmpty() && !isSuspect(queueSuspectAt, nanoTime.getAsLong())) {
            return ACQUIRE_QUEUE; // the usual case, without ordering every route (JFR: 6 % of the SDK's CPU)
        }
        return next(tried, null, ACQUIRE_QUEUE, h -> h.acquire);
    }

    /**
     * The direct acquire route of a hub not in {@code except} that is ready, not suspect and heard
     * from recently (the most recently heard first), or null.
     */
    Route readyDirectAcquireRouteExcept(Set<String> except) {
        long now = nanoTime.getAsLong();
        return hubs.values().stream()
                .filter(h -> !except.contains(h.id) && h.ready && !isSuspect(h.suspectAt, now)
                        && now - h.lastSeen <= STALE_NANOS)
                .max(Comparator.comparingLong(h -> h.lastSeen))
                .map(h -> h.acquire)
                .orElse(null);
    }

    /** Next settle route for a lease of {@code leaseHub}: that hub first, then the queue, then the others. */
    Route nextSettleRoute(String leaseHub, Set<String> tried) {
        if (tried.isEmpty() && leaseHub != null) {
            Hub h = hubs.get(leaseHub);
            if (h != null && !isSuspect(h.suspectAt, nanoTime.getAsLong())) {
                return h.settle; // the usual case, without ordering every route
            }
        }
        return next(tried, leaseHub, SETTLE_QUEUE, h -> h.settle);
    }

    private Route next(Set<String> tried, String firstHub, Route queue, Function<Hub, Route> direct) {
        long now = nanoTime.getAsLong();
        boolean queueSuspect = isSuspect(queueSuspectAt, now);
        List<Hub> known = new ArrayList<>(hubs.values());
        known.sort(Comparator.<Hub, Boolean>comparing(h -> !h.ready)
                .thenComparing(h -> now - h.lastSeen > STALE_NANOS)
                .thenComparing(h -> -h.lastSeen));
        List<Route> good = new ArrayList<>();
        List<Route> suspect = new ArrayList<>();
        if (firstHub != null && !firstHub.isBlank()) {
            Hub h = hubs.get(firstHub);
            if (h == null) {
                h = new Hub(firstHub); // not kept: only replies and announcements make a hub known
            }
            (isSuspect(h.suspectAt, now) ? suspect : good).add(direct.apply(h));
        }
        (queueSuspect ? suspect : good).add(queue);
        for (Hub h : known) {
            if (h.id.equals(firstHub)) {
                continue;
            }
            (isSuspect(h.suspectAt, now) ? suspect : good).add(direct.apply(h));
        }
        good.addAll(suspect);
        for (Route r : good) {
            if (!tried.contains(r.subject())) {
                return r;
            }
        }
        return null;
    }

    private static boolean isSuspect(long at, long now) {
        return at != 0 && now - at < SUSPECT_TTL_NANOS;
    }

    /** {@code hubId} announced itself or answered within {@link #STALE_NANOS}. */
    boolean isFresh(String hubId) {
        Hub h = hubId == null ? null : hubs.get(hubId);
        return h != null && nanoTime.getAsLong() - h.lastSeen <= STALE_NANOS;
    }

    /** Ids of the hubs known so far. */
    Set<String> knownHubs() {
        return Set.copyOf(hubs.keySet());
    }
}
