/**
 * The README's and docs/calling-providers.md's TypeScript samples, type-checked by the build (tsc
 * compiles test/**): never run, so a changed signature breaks the build instead of the docs.
 */
import { QuotaClient, anthropic, gemini, openai, type ProviderReading } from "../../src/index.js";

/** The shape of the OpenAI SDK's `create(...).withResponse()`, without depending on the SDK. */
declare function openAiCreateWithResponse(apiKey: string): Promise<{ data: { choices: Array<{ message: { content: string | null } }> }; response: Response }>;

export async function samples(servers: string[], userPasswordFile: string, body: string): Promise<void> {
  const client = await QuotaClient.connect({ servers, agentId: "summarizer-7", userPasswordFile, providers: { "gemini-pro": gemini } });

  const res = await client.call("gemini-pro", { tokens: 1200, maxWaitMs: 5000 }, (lease) =>
    fetch("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent", {
      method: "POST",
      headers: { "x-goog-api-key": lease.apiKey, "content-type": "application/json" },
      body,
    }));
  if (res.ok) console.log(await res.json());

  const { data } = await client.call("gpt-4o", { tokens: 800, maxWaitMs: 5000, provider: openai, retries: true },
    (lease) => openAiCreateWithResponse(lease.apiKey));
  console.log(data.choices[0]?.message.content);

  await client.call("claude", { tokens: 1000, maxWaitMs: 5000, provider: anthropic, retries: { maxRetries: 2, maxRetryAfterMs: 5000 },
    deadlineMs: 30_000, answer: (r: { code: number; h: Record<string, string>; text: string }) => ({ status: r.code, headers: r.h, body: r.text }) },
  async () => ({ code: 200, h: {}, text: "{}" }));

  const lease = await client.acquire("gemini-pro", { tokens: 1200, maxWaitMs: 5000 });
  const reading: ProviderReading = await gemini.readResponse(await fetch("https://example.invalid"));
  await lease.settleWith(reading, { callDurationMs: 412 });
  await client.close();
}
