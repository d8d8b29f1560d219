/**
 * The QuotaHub agent SDK: {@link io.quotahub.agent.QuotaClient} asks the hubs for
 * {@link io.quotahub.agent.Lease leases} over NATS and reports how each call went. Everything
 * under {@code io.quotahub.agent.internal} is implementation, not API.
 */
package io.quotahub.agent;
