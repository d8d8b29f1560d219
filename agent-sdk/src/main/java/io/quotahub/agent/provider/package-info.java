/**
 * Reading a provider's answer: {@link io.quotahub.agent.provider.Providers} has the adapters for
 * OpenAI, Anthropic, Google Gemini and any service sending {@code Retry-After}; each turns an HTTP
 * status, headers and body into a {@link io.quotahub.agent.provider.ProviderReading} (outcome, retry
 * wait, tokens counted, the key's limits), which {@code QuotaClient.call} settles the lease with.
 */
package io.quotahub.agent.provider;
