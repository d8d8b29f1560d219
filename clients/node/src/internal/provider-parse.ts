/**
 * The small grammars of providers' answers: header maps, counts, Go and protobuf durations, RFC 3339
 * times and HTTP dates. Each parser answers `undefined` for anything it does not fully match, so a
 * malformed header is ignored rather than misread. All results are whole milliseconds.
 */

/** Headers as any HTTP client gives them: fetch's `Headers`, a plain object, a `Map` or name/value pairs. */
export type HeaderSource =
  | { forEach(fn: (value: string, name: string) => void): void }
  | Record<string, string | readonly string[] | number | undefined | null>
  | Iterable<readonly [string, string]>;

/** Lower-cased names to their (first) value. */
export function headerMap(headers: HeaderSource | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const put = (name: unknown, value: unknown) => {
    if (typeof name !== "string") return;
    const v = Array.isArray(value) ? value[0] : value;
    if (typeof v !== "string" && typeof v !== "number") return;
    const key = name.toLowerCase();
    if (!out.has(key)) out.set(key, String(v).trim());
  };
  if (headers === null || headers === undefined) return out;
  if (typeof headers !== "object") throw new TypeError("headers must be a Headers, an object or name/value pairs");
  if (typeof (headers as { forEach?: unknown }).forEach === "function" && !Array.isArray(headers)) {
    (headers as { forEach(fn: (value: string, name: string) => void): void }).forEach((value, name) => put(name, value));
  } else if (Symbol.iterator in headers) {
    for (const pair of headers as Iterable<readonly [string, string]>) {
      if (Array.isArray(pair)) put(pair[0], pair[1]);
    }
  } else {
    for (const [name, value] of Object.entries(headers)) put(name, value);
  }
  return out;
}

/** A non-negative whole count (`200`), within safe integers. */
export function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** A non-negative number of milliseconds (`1500`, `1500.5`), rounded. */
export function millis(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text));
}

/** A non-negative number of seconds (`120`, `1.5`) in ms. */
export function seconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,12}(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * 1000);
}

const GO_UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ns: 1e-6 };
const GO_PART = /(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)/y;

/** A Go duration as OpenAI writes resets: `6m0s`, `1.5s`, `20ms`, `1m30.25s`, `2h0m0s`. */
export function goDuration(text: string | undefined): number | undefined {
  if (text === undefined || text === "" || text.length > 64) return undefined;
  if (text === "0") return 0;
  GO_PART.lastIndex = 0;
  let total = 0;
  while (GO_PART.lastIndex < text.length) {
    const at = GO_PART.lastIndex;
    const m = GO_PART.exec(text);
    if (m === null || m.index !== at) return undefined;
    total += Number(m[1]) * GO_UNITS_MS[m[2]!]!;
  }
  return Math.round(total);
}

/** A protobuf (JSON) duration as Google writes `retryDelay`: `13s`, `34.500s`. */
export function protoDuration(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^(\d{1,12})(\.\d{1,9})?s$/.exec(text);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * 1000 + (m[2] ? Number(m[2]) * 1000 : 0));
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time as Anthropic writes resets (`2026-12-07T12:00:12.500Z`), in epoch ms. */
export function rfc3339(text: string | undefined): number | undefined {
  const m = text === undefined ? null : RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!validFields(base, Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return undefined;
  let offsetMs = 0;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone!.startsWith("-") ? -1 : 1;
    offsetMs = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  }
  return base + (frac ? Number(frac) * 1000 : 0) - offsetMs;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** An HTTP date in any of the three forms HTTP allows (`Mon, 07 Dec 2026 12:00:30 GMT` first), in epoch ms. */
export function httpDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return utc(m[3]!, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(text);
  if (m !== null) {
    // two-digit years (an obsolete form): 70-99 are 19xx, as most HTTP libraries read them
    const yy = Number(m[3]);
    const year = yy >= 70 ? 1900 + yy : 2000 + yy;
    return utc(String(year), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(text);
  if (m !== null) return utc(m[6]!, m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(year: string, month: string, day: string, h: string, mi: string, s: string): number | undefined {
  const mo = MONTHS.indexOf(month.toLowerCase()) + 1;
  if (mo === 0) return undefined;
  const t = Date.UTC(Number(year), mo - 1, Number(day), Number(h), Number(mi), Number(s));
  return validFields(t, Number(year), mo, Number(day), Number(h), Number(mi), Number(s)) ? t : undefined;
}

/** Date.UTC rolls 31 February over into March: a time whose fields changed was not a real one. */
function validFields(t: number, y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const date = new Date(t);
  return Number.isFinite(t) && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    && h < 24 && mi < 60 && s < 61;
}

/** The body as JSON, or undefined when it is not JSON (or is too large to be an error or a usage block worth reading). */
export function jsonBody(body: string | undefined, maxChars = 4_000_000): unknown {
  if (body === undefined || body === "" || body.length > maxChars) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** `value[path…]` when every step is an object key, else undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A whole non-negative count from a JSON value (a number, or the digits Google writes for int64). */
export function jsonCount(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === "string") return count(value);
  return undefined;
}
