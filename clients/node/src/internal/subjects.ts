/** NATS subjects of the wire contract (proto `Subjects.java`): agents and hubs agree on these. */
export const ACQUIRE = "qh.v1.acquire";
export const SETTLE = "qh.v1.settle";
export const HEARTBEAT = "qh.v1.heartbeat";
export const HUBS = "qh.v1.hubs";
export const AGENT_INBOX_ROOT = "_QH.agent.";

export function hubAcquire(hubId: string): string {
  return `qh.v1.hub.${hubId}.acquire`;
}

export function hubSettle(hubId: string): string {
  return `qh.v1.hub.${hubId}.settle`;
}

/** Inbox prefix of a NATS user that runs agents: the servers let that user read replies only there. */
export function agentInboxPrefix(natsUser: string): string {
  return AGENT_INBOX_ROOT + natsUser;
}

/** Where one request attempt goes: the hubs' queue subject (hubId null) or one hub's direct subject. */
export interface Route {
  readonly subject: string;
  readonly hubId: string | null;
}

export function isQueue(route: Route): boolean {
  return route.hubId === null;
}

/** Why a request on a route failed. */
export type RouteFailure = "TIMEOUT" | "NO_RESPONDERS" | "CONNECTION" | "BAD_REPLY";
