package io.quotahub.engine;

/** Stable codes of refusals; clients switch on these, so never rename one. */
public enum RefusalCode {
    /** A window of a key or pool limit is full. */
    QUOTA_EXHAUSTED,
    /** This hub's budget of a limit is used up (the other hub may hold the rest). */
    BUDGET_EXHAUSTED,
    /** max-concurrent of a key or pool reached. */
    CONCURRENCY,
    /** Burst protection: too many requests in the burst interval. */
    BURST,
    /** Thermal throttle: the key is paced to its sustainable rate. */
    THROTTLED,
    /** Load shedding: this priority is refused in the current thermal zone. */
    SHED,
    /** The key cools down after a provider 429 or repeated failures. */
    COOLDOWN,
    /** The key's circuit breaker is open. */
    CIRCUIT_OPEN,
    /** The key is disabled (auth failure) until an operator re-enables it. */
    KEY_DISABLED,
    /** The asking agent holds its share of the pool already (max-open-leases-per-agent, max-share-per-agent). */
    AGENT_LIMIT,
    /** The pool has no key that could ever serve this request (e.g. tokens above every limit). */
    NO_USABLE_KEY,
    UNKNOWN_POOL,
    INVALID_REQUEST
}
