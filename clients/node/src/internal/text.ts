/** Bounds and masking of the wire's text fields (the hubs' own rules, checked before sending). */

/** The longest text field, in UTF-8 bytes, that a hub accepts by default (proto `WireBounds`). */
export const MAX_FIELD_BYTES = 128;

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** `s` cut to at most `maxBytes` UTF-8 bytes, on a code point boundary. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** `…abcd` for secrets of 12 characters or more, `…` for shorter ones. */
export function mask(secret: string | undefined): string {
  if (!secret || secret.length < 12) return "…";
  return "…" + secret.slice(-4);
}

/** `text` with every occurrence of the API key masked and of the lease secret removed. */
export function scrub(text: string, apiKey: string, leaseSecret: string): string {
  let t = text ?? "";
  if (apiKey) t = t.split(apiKey).join(mask(apiKey));
  if (leaseSecret) t = t.split(leaseSecret).join("…");
  return t;
}

/** Checks a text field that must be non-blank and within the hubs' bound. */
export function checkField(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`${field} must be a non-blank string`);
  }
  const bytes = utf8Length(value);
  if (bytes > MAX_FIELD_BYTES) {
    throw new RangeError(`${field} must be at most ${MAX_FIELD_BYTES} bytes of UTF-8 (hubs refuse longer), was ${bytes}`);
  }
  return value;
}
