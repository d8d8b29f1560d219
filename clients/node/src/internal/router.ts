import { ACQUIRE, SETTLE, hubAcquire, hubSettle, isQueue, type Route, type RouteFailure } from "./subjects.js";

/** How long a route that timed out is skipped. */
export const SUSPECT_TTL_MS = 5_000;
/** A hub not heard from for this long is tried after the fresh ones (it announces ~4/s). */
export const STALE_MS = 3_500;

class Hub {
  readonly acquire: Route;
  readonly settle: Route;
  lastSeen = Number.NEGATIVE_INFINITY;
  ready = true;
  suspectAt: number | null = null;

  constructor(readonly id: string) {
    this.acquire = { subject: hubAcquire(id), hubId: id };
    this.settle = { subject: hubSettle(id), hubId: id };
  }
}

const ACQUIRE_QUEUE: Route = { subject: ACQUIRE, hubId: null };
const SETTLE_QUEUE: Route = { subject: SETTLE, hubId: null };

/**
 * Which route the next request attempt takes (as the Java SDK's HubRouter). Knows the hubs (from
 * their announcements on `qh.v1.hubs` and from replies) and which routes are suspect.
 *
 * Order within one round: the queue route (NATS prefers the local hub), then each known hub's
 * direct subject (ready, recently seen first); suspect routes come last. A route is suspect for
 * {@link SUSPECT_TTL_MS} after it timed out, or until its hub announces itself ready again
 * (failback). When the queue route times out, the hub that last answered on the queue (the local
 * hub) becomes suspect too.
 */
export class HubRouter {
  private readonly hubs = new Map<string, Hub>();
  private lastQueueHub: string | null = null;
  private queueSuspectAt: number | null = null;
  private queueSuspectHub: string | null = null;

  constructor(private readonly now: () => number) {}

  private hub(id: string): Hub {
    let h = this.hubs.get(id);
    if (!h) {
      h = new Hub(id);
      this.hubs.set(id, h);
    }
    return h;
  }

  /** A hub announced itself; a ready announcement clears its suspicion (failback). */
  onAnnouncement(hubId: string, ready: boolean): void {
    if (!hubId || hubId.trim() === "") return;
    const h = this.hub(hubId);
    h.lastSeen = this.now();
    h.ready = ready;
    if (ready) {
      h.suspectAt = null;
      if (hubId === this.queueSuspectHub) {
        this.queueSuspectAt = null;
        this.queueSuspectHub = null;
      }
    }
  }

  /** A hub answered on `route`: it is alive. */
  onReply(route: Route, hubId: string): void {
    if (!hubId || hubId.trim() === "") return;
    const h = this.hub(hubId);
    h.lastSeen = this.now();
    h.suspectAt = null;
    if (isQueue(route)) {
      this.lastQueueHub = hubId;
      this.queueSuspectAt = null;
      this.queueSuspectHub = null;
    }
  }

  /** An attempt on `route` failed. */
  onFailure(route: Route, failure: RouteFailure): void {
    const now = this.now();
    if (isQueue(route)) {
      // "no responders" on the queue is immediate and cheap: nothing to remember
      if (failure === "TIMEOUT") {
        const local = this.lastQueueHub;
        this.queueSuspectHub = local;
        this.queueSuspectAt = now;
        if (local !== null) this.hub(local).suspectAt = now;
      }
    } else if (failure !== "BAD_REPLY" && route.hubId !== null) {
      this.hub(route.hubId).suspectAt = now;
      if (failure === "TIMEOUT" && route.hubId === this.lastQueueHub) {
        // the queue delivers to that same (local) hub: do not pay its timeout twice
        this.queueSuspectHub = route.hubId;
        this.queueSuspectAt = now;
      }
    }
  }

  /** A hub answered that it cannot serve (UNAVAILABLE, FENCED): go to the other one meanwhile. */
  markUnavailable(route: Route, hubId: string): void {
    const now = this.now();
    const id = hubId && hubId.trim() !== "" ? hubId : route.hubId;
    if (id) this.hub(id).suspectAt = now;
    if (isQueue(route)) {
      this.queueSuspectHub = id;
      this.queueSuspectAt = now;
    }
  }

  /** Next acquire route whose subject is not in `tried`, or null when the round is over. */
  nextAcquireRoute(tried: ReadonlySet<string>): Route | null {
    if (tried.size === 0 && !this.isSuspect(this.queueSuspectAt, this.now())) return ACQUIRE_QUEUE;
    return this.next(tried, null, ACQUIRE_QUEUE, (h) => h.acquire);
  }

  /** The direct acquire route of a ready, fresh, unsuspected hub not in `except` (most recently heard first), or null. */
  readyDirectAcquireRouteExcept(except: ReadonlySet<string>): Route | null {
    const now = this.now();
    let best: Hub | null = null;
    for (const h of this.hubs.values()) {
      if (!except.has(h.id) && h.ready && !this.isSuspect(h.suspectAt, now) && now - h.lastSeen <= STALE_MS) {
        if (best === null || h.lastSeen > best.lastSeen) best = h;
      }
    }
    return best?.acquire ?? null;
  }

  /** Next settle route for a lease of `leaseHub`: that hub first, then the queue, then the others. */
  nextSettleRoute(leaseHub: string | null, tried: ReadonlySet<string>): Route | null {
    if (tried.size === 0 && leaseHub) {
      const h = this.hubs.get(leaseHub);
      if (h && !this.isSuspect(h.suspectAt, this.now())) return h.settle;
    }
    return this.next(tried, leaseHub, SETTLE_QUEUE, (h) => h.settle);
  }

  private next(tried: ReadonlySet<string>, firstHub: string | null, queue: Route, direct: (h: Hub) => Route): Route | null {
    const now = this.now();
    const stale = (h: Hub) => now - h.lastSeen > STALE_MS;
    const known = [...this.hubs.values()].sort(
      (a, b) => Number(!a.ready) - Number(!b.ready) || Number(stale(a)) - Number(stale(b)) || b.lastSeen - a.lastSeen,
    );
    const good: Route[] = [];
    const suspect: Route[] = [];
    if (firstHub) {
      const h = this.hubs.get(firstHub) ?? new Hub(firstHub); // not kept: only replies and announcements make a hub known
      (this.isSuspect(h.suspectAt, now) ? suspect : good).push(direct(h));
    }
    (this.isSuspect(this.queueSuspectAt, now) ? suspect : good).push(queue);
    for (const h of known) {
      if (h.id === firstHub) continue;
      (this.isSuspect(h.suspectAt, now) ? suspect : good).push(direct(h));
    }
    for (const r of [...good, ...suspect]) {
      if (!tried.has(r.subject)) return r;
    }
    return null;
  }

  private isSuspect(at: number | null, now: number): boolean {
    return at !== null && now - at < SUSPECT_TTL_MS;
  }

  /** `hubId` announced itself or answered within {@link STALE_MS}. */
  isFresh(hubId: string | null): boolean {
    const h = hubId ? this.hubs.get(hubId) : undefined;
    return h !== undefined && this.now() - h.lastSeen <= STALE_MS;
  }

  /** Ids of the hubs known so far. */
  knownHubs(): string[] {
    return [...this.hubs.keys()].sort();
  }
}
