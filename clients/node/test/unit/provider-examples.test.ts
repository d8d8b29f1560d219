import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { PROVIDERS, type ProviderReading } from "../../src/provider.js";

/** The recorded answers every SDK reads alike (clients/provider-examples, from dist/test/unit). */
const EXAMPLES = fileURLToPath(new URL("../../../../provider-examples/", import.meta.url));

interface Example {
  provider: string;
  what: string;
  receivedAt: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  expect: {
    outcome: string;
    transient?: boolean;
    retryAfterMs?: number;
    tokensUsed?: number;
    quotaId?: string;
    limits: Array<{ kind: string; limit?: number; remaining?: number; resetAfterMs?: number }>;
  };
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".json")).sort();

test("examples_thereAreRecordedAnswersOfEveryProvider", () => {
  const providers = new Set(files.map((f) => (JSON.parse(readFileSync(join(EXAMPLES, f), "utf8")) as Example).provider));
  assert.deepEqual([...providers].sort(), ["anthropic", "gemini", "generic", "openai"]);
});

for (const file of files) {
  const example = JSON.parse(readFileSync(join(EXAMPLES, file), "utf8")) as Example;
  test(`examples_${file.replace(/\.json$/, "")}_readsAsRecorded (${example.what})`, () => {
    const adapter = PROVIDERS[example.provider];
    assert.ok(adapter, `no adapter named ${example.provider}`);
    const body = typeof example.body === "string" ? example.body : JSON.stringify(example.body);
    const reading = adapter.read({ status: example.status, headers: example.headers, body, receivedAtMs: Date.parse(example.receivedAt) });
    assert.deepEqual(plain(reading), plain(expected(example)));
    assertNoBodyText(reading, example.body);
  });
}

/** What the reading must be: every field of `expect`, absent ones absent (transient only with ERROR). */
function expected(example: Example): ProviderReading {
  return example.expect as unknown as ProviderReading;
}

function plain(r: ProviderReading): unknown {
  return JSON.parse(JSON.stringify(r));
}

/** No string of the body (a provider's message may echo part of the key) ends up in the reading, but the quota id. */
function assertNoBodyText(reading: ProviderReading, body: unknown): void {
  const texts: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string" && v.length > 3 && /[A-Za-z]/.test(v)) texts.push(v); // numbers are read, words never
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(body);
  const { quotaId, ...rest } = reading;
  const out = JSON.stringify(rest);
  for (const t of texts) assert.ok(!out.includes(t), `body text '${t.slice(0, 20)}…' copied into the reading`);
  if (quotaId !== undefined) assert.match(quotaId, /^[A-Za-z0-9._:/-]+$/);
}
