import { readFileSync, statSync } from "node:fs";
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from "@nats-io/transport-node";
import { agentInboxPrefix } from "./subjects.js";

/** Longest accepted inbox prefix: the agent's inboxes are this plus ≈ 45 characters. */
export const MAX_INBOX_PREFIX_LENGTH = 128;
const INBOX_PREFIX = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const AGENT_USER = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_FILE_BYTES = 1 << 20;

/** How the client proves who it is to NATS, applied to every server's connection alike. */
export interface NatsSecurity {
  user?: string;
  pass?: string;
  authenticator?: Authenticator;
  inboxPrefix?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export interface SecurityOptions {
  user?: string | undefined;
  pass?: string | undefined;
  userPasswordFile?: string | undefined;
  credentialsFile?: string | undefined;
  inboxPrefix?: string | undefined;
  tls?: { caFile?: string; certFile?: string; keyFile?: string } | undefined;
}

function read(file: string, what: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new TypeError(`${file}: ${what} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw new TypeError(`${file}: ${what} does not exist or cannot be read`);
  }
  if (size > MAX_FILE_BYTES) throw new TypeError(`${file}: ${what} is larger than ${MAX_FILE_BYTES} bytes`);
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") throw new TypeError(`${file}: ${what} is empty`);
  return text;
}

/**
 * Reads a user/password file: one line `user:password` (the user holds no `:`, the password is
 * everything after the first one; a trailing newline is fine). Messages never hold the password.
 */
export function readUserPassword(file: string): { user: string; pass: string } {
  const text = read(file, "user/password file");
  const line = text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
  if (line.includes("\n") || line.includes("\r")) {
    throw new TypeError(`${file}: must hold one line user:password, found several lines`);
  }
  const colon = line.indexOf(":");
  if (colon < 0) throw new TypeError(`${file}: must hold one line user:password, found no ':'`);
  const user = line.slice(0, colon);
  if (user.trim() === "" || user !== user.trim()) {
    throw new TypeError(`${file}: the user (before ':') is empty or has surrounding spaces`);
  }
  if (colon === line.length - 1) throw new TypeError(`${file}: the password (after ':') of user ${user} is empty`);
  return { user, pass: line.slice(colon + 1) };
}

/** Checks an inbox prefix: dot-separated subject tokens, no wildcards; one trailing dot is dropped. */
export function checkInboxPrefix(prefix: string): string {
  const p = prefix.endsWith(".") ? prefix.slice(0, -1) : prefix;
  if (p.length > MAX_INBOX_PREFIX_LENGTH || !INBOX_PREFIX.test(p)) {
    throw new TypeError(`inboxPrefix must be dot-separated NATS subject tokens of letters, digits, '_', '$' or '-'`
      + ` (no wildcards or spaces), at most ${MAX_INBOX_PREFIX_LENGTH} characters, was '${prefix}'`);
  }
  return p;
}

/**
 * The security settings of a client: with a user (from a file or given), the replies come under
 * `_QH.agent.<user>`, the only inbox the shipped server permissions let that user read (and from
 * which the hubs take the agent's identity), unless `inboxPrefix` says otherwise.
 */
export function resolveSecurity(o: SecurityOptions): NatsSecurity {
  const ways = [o.userPasswordFile !== undefined, o.user !== undefined || o.pass !== undefined, o.credentialsFile !== undefined];
  if (ways.filter(Boolean).length > 1) {
    throw new TypeError("set one of userPasswordFile, user/pass and credentialsFile, not several");
  }
  const sec: NatsSecurity = {};
  if (o.userPasswordFile !== undefined) {
    Object.assign(sec, readUserPassword(o.userPasswordFile));
  } else if (o.user !== undefined || o.pass !== undefined) {
    if (!o.user || !o.pass) throw new TypeError("user and pass must both be non-empty");
    sec.user = o.user;
    sec.pass = o.pass;
  } else if (o.credentialsFile !== undefined) {
    const file = o.credentialsFile;
    const text = read(file, "credentials file");
    if (text.includes("-----BEGIN NATS USER JWT-----")) {
      sec.authenticator = credsAuthenticator(() => new TextEncoder().encode(read(file, "credentials file")));
    } else {
      const seed = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith("SU"));
      if (!seed) throw new TypeError(`${file}: holds neither a user JWT with its seed nor a user nkey seed (SU…)`);
      sec.authenticator = nkeyAuthenticator(() => {
        const s = read(file, "credentials file").split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith("SU"));
        return new TextEncoder().encode(s ?? "");
      });
    }
  }
  if (o.inboxPrefix !== undefined) {
    sec.inboxPrefix = checkInboxPrefix(o.inboxPrefix);
  } else if (sec.user !== undefined) {
    if (!AGENT_USER.test(sec.user)) {
      throw new TypeError(`NATS user '${sec.user}' cannot name an inbox (1-64 letters, digits, '_' or '-'):`
        + " set inboxPrefix to the one the servers allow it");
    }
    sec.inboxPrefix = agentInboxPrefix(sec.user);
  }
  if (o.tls !== undefined) sec.tls = o.tls;
  return sec;
}
