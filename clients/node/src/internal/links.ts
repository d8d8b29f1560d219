import { connect, errors, type Msg, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "./logger.js";
import type { RetryPolicy } from "./retry.js";
import type { NatsSecurity } from "./security.js";
import type { RouteFailure } from "./subjects.js";

/** Connect timeout per server. */
export const CONNECTION_TIMEOUT_MS = 2_000;
/** Client ping interval: a dead server is noticed after ~2-3 s (two pings out). */
export const PING_INTERVAL_MS = 1_000;
/** Reconnect wait: short, failover to the second server must be fast. */
export const RECONNECT_WAIT_MS = 250;
/**
 * How long a request through a connection on trial waits before it goes through another one (a
 * hub answers in milliseconds; a loaded machine's hub in a few hundred). See {@link Link.trial}.
 */
export const TRIAL_TIMEOUT_MS = 300;

/** A request in flight on a connection that dropped: it can never be answered. */
export class ConnectionLostError extends Error {
  constructor() {
    super("NATS connection lost before the reply");
    this.name = "ConnectionLostError";
  }
}

/** One configured server and the client's connection to it. */
export interface Link {
  readonly url: string;
  readonly slot: number;
  nc: NatsConnection | null;
  connected: boolean;
  /** Dropped (or first made late) and no hub announced itself through it since. */
  probation: boolean;
  /**
   * A hub announced itself ready through it since it came back, but no request on the queue was
   * answered through it yet: requests take it, each for at most {@link TRIAL_TIMEOUT_MS} while
   * another connection is usable. A hub announces itself as soon as it is connected again, but its
   * first grants after its server restarted can take over a second (its ledger on the restarted
   * JetStream): the chaos suite's kill-nats failback gaps of 1.3–1.6 s.
   */
  trial: boolean;
  closedForGood: boolean;
  readonly inFlight: Set<(e: Error) => void>;
}

/** Why a request failed, from the NATS client's error. */
export function classify(error: unknown): RouteFailure {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof errors.TimeoutError || e.name === "TimeoutError") return "TIMEOUT";
    if (e instanceof errors.NoRespondersError || (e instanceof errors.RequestError && e.isNoResponders())) return "NO_RESPONDERS";
  }
  return "CONNECTION";
}

export interface LinkSettings {
  servers: string[];
  name: string;
  security: NatsSecurity;
  logger: Logger;
  retry: RetryPolicy;
  /** A connection was made (first time): subscribe what the client listens to. */
  onConnected: (link: Link) => void;
}

/**
 * The client's NATS connections, as the Java SDK's ServerLinks: one to each configured server, each
 * reconnecting only to its own server. Requests go out on the first connected one in the configured
 * order (local first), so when the local server dies the next request takes the other server at
 * once instead of waiting for one connection to reconnect elsewhere; it comes back to a server once
 * a hub has announced itself ready through it (failback). A request in flight on a connection that
 * drops fails at once, so the caller retries on the other connection instead of waiting for its
 * timeout.
 */
export class ServerLinks {
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(readonly links: Link[], private readonly settings: LinkSettings) {}

  /** Connects to each server; a server down now is connected to in the background. At least one must answer. */
  static async connect(settings: LinkSettings): Promise<ServerLinks> {
    const links: Link[] = settings.servers.map((url, slot) => ({
      url, slot, nc: null, connected: false, probation: false, trial: false, closedForGood: false, inFlight: new Set(),
    }));
    const sl = new ServerLinks(links, settings);
    const results = await Promise.allSettled(links.map((l) => sl.open(l)));
    const reasons = results.flatMap((r, i) => (r.status === "rejected" ? [`${links[i]!.url}: ${reason(r.reason)}`] : []));
    if (reasons.length === links.length) {
      throw new Error(reasons.join("; "));
    }
    results.forEach((r, i) => {
      if (r.status === "rejected") sl.connectLater(links[i]!);
    });
    return sl;
  }

  private async open(link: Link): Promise<void> {
    const s = this.settings.security;
    const nc = await connect({
      servers: link.url,
      name: this.settings.name,
      ignoreClusterUpdates: true, // each connection stays with its own server
      noRandomize: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      reconnectJitter: 50,
      timeout: CONNECTION_TIMEOUT_MS,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: 2,
      ...(s.user !== undefined ? { user: s.user, pass: s.pass } : {}),
      ...(s.authenticator !== undefined ? { authenticator: s.authenticator } : {}),
      ...(s.inboxPrefix !== undefined ? { inboxPrefix: s.inboxPrefix } : {}),
      ...(s.tls !== undefined ? { tls: s.tls } : {}),
    });
    if (this.closed) {
      await nc.close();
      return;
    }
    link.nc = nc;
    link.connected = true;
    this.watch(link, nc);
    this.settings.onConnected(link);
  }

  private watch(link: Link, nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          this.settings.logger.info(`NATS disconnected (${link.url})`);
          link.connected = false;
          link.probation = true;
          link.trial = false;
          this.failInFlight(link);
        } else if (s.type === "reconnect") {
          this.settings.logger.info(`NATS reconnected (${link.url})`);
          link.connected = true;
        }
      }
    })().catch(() => undefined);
    void nc.closed().then(() => {
      link.connected = false;
      link.closedForGood = true;
      this.failInFlight(link);
    });
  }

  private failInFlight(link: Link): void {
    const waiting = [...link.inFlight];
    link.inFlight.clear();
    for (const fail of waiting) fail(new ConnectionLostError());
  }

  /** Retries a server that was down at start until it answers or the client closes. */
  private connectLater(link: Link): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.open(link).then(
        () => {
          link.probation = true; // like a failback: wait for a hub to be heard there
        },
        () => this.connectLater(link),
      );
    }, this.settings.retry.reconnect());
    this.timers.add(t);
  }

  /**
   * The connection requests take now: the first connected one in the configured order that is not
   * on probation, else the first connected one, else the first made (it buffers until it is back).
   */
  active(): Link | null {
    let first: Link | null = null;
    let firstConnected: Link | null = null;
    for (const l of this.links) {
      if (l.nc === null) continue;
      if (l.connected) {
        if (!l.probation) return l;
        firstConnected ??= l;
      }
      first ??= l;
    }
    return firstConnected ?? first;
  }

  /**
   * Nothing answered through `link` where a hub should have: while another connection is usable,
   * `link` goes on probation (until a hub is heard through it again) and the other is returned for
   * the same request; otherwise null.
   */
  moveAwayFrom(link: Link): Link | null {
    const other = this.otherUsable(link);
    if (other !== null) {
      link.probation = true;
      link.trial = false;
    }
    return other;
  }

  private otherUsable(link: Link): Link | null {
    return this.links.find((o) => o !== link && o.nc !== null && !o.probation && o.connected) ?? null;
  }

  /** A hub announced itself ready through `link`: requests may take it again, on trial. */
  hubHeard(link: Link): void {
    if (link.probation) {
      link.probation = false;
      link.trial = true;
    }
  }

  /**
   * A request on the queue was answered through `link`: the hub the queue reaches there serves, its
   * trial ends (a reply on a direct subject may come from the other machine's hub over the leafnode).
   */
  answeredThrough(link: Link): void {
    link.trial = false;
  }

  /** How long a request through `link` may wait: {@link TRIAL_TIMEOUT_MS} on trial while another connection is usable. */
  trialTimeout(link: Link, timeoutMs: number): number {
    return link.trial && this.otherUsable(link) !== null ? Math.min(timeoutMs, TRIAL_TIMEOUT_MS) : timeoutMs;
  }

  /**
   * A request through `link` on trial got no answer within the trial, or the hub there answered that
   * it cannot serve yet: `link` goes back on probation (until a hub announces itself there again)
   * and the other usable connection is returned, or null.
   */
  trialFailed(link: Link): Link | null {
    if (!link.trial) return null;
    const other = this.otherUsable(link);
    if (other !== null) {
      link.trial = false;
      link.probation = true;
    }
    return other;
  }

  /** Every connection made is closed for good. */
  allClosed(): boolean {
    return this.links.every((l) => l.nc === null || l.closedForGood) && this.links.some((l) => l.nc !== null);
  }

  /** Sends a request on `link`; fails at once when the connection drops before the reply. */
  request(link: Link, subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const nc = link.nc;
      if (nc === null) {
        reject(new ConnectionLostError());
        return;
      }
      link.inFlight.add(reject);
      nc.request(subject, data, { timeout: Math.max(1, Math.round(timeoutMs)) }).then(
        (m) => {
          link.inFlight.delete(reject);
          resolve(m);
        },
        (e: unknown) => {
          link.inFlight.delete(reject);
          reject(e);
        },
      );
      if (!link.connected && this.active() !== link) {
        // it dropped while sending and another one is up: do not wait for the buffer
        link.inFlight.delete(reject);
        reject(new ConnectionLostError());
      }
    });
  }

  /** Publishes on the active connection; false when there is none. */
  publish(subject: string, data: Uint8Array): boolean {
    const l = this.active();
    if (l?.nc == null) return false;
    l.nc.publish(subject, data);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled(this.links.map((l) => l.nc?.close()));
  }
}

/** Why a connect failed, in the words of the NATS client and server (never the credentials). */
function reason(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : "";
    return `${e.message || e.name}${cause}`;
  }
  return String(e);
}
