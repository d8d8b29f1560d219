package io.quotahub.hub.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Every metric name the hub exports, in one place. Micrometer names with dots; Prometheus shows
 * them with underscores and adds {@code _total} to counters and {@code _seconds} to timers, e.g.
 * {@code quotahub.leases.granted} is scraped as {@code quotahub_leases_granted_total}. Alert
 * rules and the Grafana dashboard use the Prometheus names; a test checks they are exported.
 */
public final class MetricNames {

    // counters
    /** Leases granted. Tags: hub, pool, key. */
    public static final String LEASES_GRANTED = "quotahub.leases.granted";
    /** Acquires refused. Tags: hub, pool ("(unknown)" for a pool not configured), reason (RefusalCode). */
    public static final String LEASES_REFUSED = "quotahub.leases.refused";
    /**
     * Leases settled, by the provider outcome agents reported (EXPIRED: never reported), counted by
     * the hub that granted the lease, so a sum over hubs counts each once. Tags: hub, pool, key, outcome.
     */
    public static final String LEASES_SETTLED = "quotahub.leases.settled";
    /** Takeovers of the peer by this hub. Tags: hub, peer, declared ("true": operator declare-dead). */
    public static final String TAKEOVERS = "quotahub.takeovers";
    /** Planned hand-overs of the peer to this hub (a planned stop, not a failover). Tags: hub, peer. */
    public static final String HANDOVERS = "quotahub.handovers";
    /**
     * Requests the hub rejected before they could change anything; a rejected message without a
     * reply subject (every heartbeat) is dropped. Tags: hub, entrance (nats.acquire, nats.settle,
     * nats.heartbeat, http.acquire, http.complete, http.heartbeat, http.admin), reason (too_large, malformed,
     * field_too_long, tokens_above_bound, invalid, forbidden, internal).
     */
    public static final String REQUESTS_REJECTED = "quotahub.requests.rejected";
    /**
     * Leases named in heartbeats that were not taken as held by the sender (never reclaimed on its
     * behalf). Tags: hub, reason (unknown_lease, other_agent, wrong_secret, no_digest, deprecated_lease_id).
     */
    public static final String HEARTBEAT_PROOFS_IGNORED = "quotahub.heartbeat.proofs.ignored";
    /** Heartbeats of new agents ignored because the agent registry was full. Tags: hub. */
    public static final String AGENT_REGISTRY_REFUSED = "quotahub.agent.registry.refused";
    /** Acquires refused OVERLOADED because the request index was full. Tags: hub. */
    public static final String REQUEST_INDEX_REFUSED = "quotahub.request.index.refused";
    /** Acquires asking for HIGH priority by an agent not in the pool's high-priority-agents, taken as NORMAL. Tags: hub, pool. */
    public static final String PRIORITY_DOWNGRADED = "quotahub.priority.downgraded";
    /** Leases a fallback pool granted because the pool asked for had no room. Tags: hub, pool (asked for), fallback. */
    public static final String FALLBACK_LEASES = "quotahub.fallback.leases";
    /** Fallback pools tried that had no room either. Tags: hub, pool (asked for), fallback. */
    public static final String FALLBACK_REFUSALS = "quotahub.fallback.refusals";
    /** Acquires refused after the pool asked for and every one of its fallback pools refused. Tags: hub, pool. */
    public static final String FALLBACK_EXHAUSTED = "quotahub.fallback.exhausted";
    /** Grants a pool or limit in shadow (or canary) mode would have refused. Tags: hub, pool, key, code. */
    public static final String SHADOW_REFUSALS = "quotahub.shadow.refusals";
    public static final String TAG_FALLBACK = "fallback";
    public static final String TAG_CODE = "code";
    /** Settles whose Retry-After was above quotahub.max-cooldown (the cooldown was clamped to it). Tags: hub. */
    public static final String RETRY_AFTER_CLAMPED = "quotahub.settles.retry.after.clamped";

    /**
     * Tokens used per key as settled (settles of leases this hub granted, so a sum over hubs counts
     * each once). Tags: hub, pool, key. The 429s per key are {@link #LEASES_SETTLED} with
     * {@code outcome="RATE_LIMITED"}.
     */
    public static final String KEY_TOKENS_USED = "quotahub.key.tokens.used";

    // timers (histograms)
    /** Receiving an acquire to sending its reply, ledger append included. Tags: hub, transport (nats|http), result (granted|refused|error). */
    public static final String ACQUIRE_LATENCY = "quotahub.acquire.latency";
    /**
     * Provider call durations per key, as agents report them with their settle ({@code call_duration_ms}
     * over NATS; settles without it are not counted), by the hub that took the settle; buckets 0.1 s
     * to 60 s, no {@code _max}. Tags: hub, pool, key.
     */
    public static final String PROVIDER_CALL_DURATION = "quotahub.provider.call.duration";
    /**
     * Cooldowns that 429s caused (a Retry-After, clamped, or the learned ladder's step), counted by
     * the hub that granted the lease, live (not on replay); buckets 1 s to 1 h. Tags: hub, pool.
     */
    public static final String COOLDOWN_APPLIED = "quotahub.cooldown.applied";
    /** Ledger append (one event, group commit wait included) to JetStream acknowledgement. Tags: hub. */
    public static final String LEDGER_APPEND_LATENCY = "quotahub.ledger.append.latency";

    // gauges
    /**
     * Units in the current window, both hubs. Tags: hub, pool, key ("" for a pool limit), limit: the
     * limit's {@code LimitRef} wire form, {@code pool/key#i} or {@code pool#i} (e.g. {@code demo/k1#0}),
     * i its position in the configuration's {@code limits} list.
     */
    public static final String LIMIT_USED = "quotahub.limit.used";
    /** Capacity of a limit. Tags as LIMIT_USED. */
    public static final String LIMIT_CAPACITY = "quotahub.limit.capacity";
    /** This hub's budget of a limit. Tags as LIMIT_USED. */
    public static final String LIMIT_BUDGET = "quotahub.limit.budget";
    /** used / capacity, 0–1. Tags as LIMIT_USED. */
    public static final String LIMIT_UTILIZATION = "quotahub.limit.utilization";
    /** Key temperature 0–100. Tags: hub, pool, key. */
    public static final String KEY_TEMPERATURE = "quotahub.key.temperature";
    /** 1 for the key's current zone, 0 for the others. Tags: hub, pool, key, zone. */
    public static final String KEY_ZONE = "quotahub.key.zone";
    /** 1 for the key's current circuit state, 0 for the others. Tags: hub, pool, key, state. */
    public static final String KEY_CIRCUIT = "quotahub.key.circuit";
    /** Seconds of cooldown left (0 when none). Tags: hub, pool, key. */
    public static final String KEY_COOLDOWN = "quotahub.key.cooldown.seconds";
    /**
     * What the next 429 without a Retry-After would cool the key for: the ladder's next step or what
     * the key learned, whichever is longer (a relapse doubles it). Tags: hub, pool, key.
     */
    public static final String KEY_COOLDOWN_NEXT = "quotahub.key.cooldown.next.seconds";
    /** What the key learned from 429s right after its cooldowns, 0 when nothing (the plain ladder). Tags: hub, pool, key. */
    public static final String KEY_COOLDOWN_LEARNED = "quotahub.key.cooldown.learned.seconds";
    /** 1 when the key is disabled (auth failure). Tags: hub, pool, key. */
    public static final String KEY_DISABLED = "quotahub.key.disabled";
    /** Hub health score 0–100. Tags: hub. */
    public static final String HUB_HEALTH = "quotahub.hub.health.score";
    /** Agents by health. Tags: hub, health. */
    public static final String AGENTS = "quotahub.agents";
    /** Leases open now. Tags: hub. */
    public static final String OPEN_LEASES = "quotahub.leases.open";
    /** Replication lag from the peer, seconds. Tags: hub, peer. */
    public static final String REPLICATION_LAG = "quotahub.replication.lag.seconds";
    /** 1 for the peer's current status, 0 for the others. Tags: hub, peer, status. */
    public static final String PEER_STATUS = "quotahub.peer.status";
    /** Version of the pools this hub runs (its newest reload; 0: none recorded). Tags: hub. */
    public static final String CONFIG_VERSION = "quotahub.config.version";
    /** 1 while the peer announces other pools (another digest) than this hub runs, else 0. Tags: hub, peer. */
    public static final String CONFIG_MISMATCH = "quotahub.config.mismatch";
    /** 1 while the extra room of a raised limit waits for the peer to fold the reload. Tags: hub. */
    public static final String CONFIG_HOLDING_RAISES = "quotahub.config.holding.raises";
    /** 1 when this hub is ready to grant. Tags: hub. */
    public static final String HUB_READY = "quotahub.hub.ready";
    /** Agents in the registry (known from heartbeats). Tags: hub. */
    public static final String AGENT_REGISTRY_SIZE = "quotahub.agent.registry.size";
    /** The registry's cap, quotahub.max-agents. Tags: hub. */
    public static final String AGENT_REGISTRY_CAPACITY = "quotahub.agent.registry.capacity";
    /** Request ids remembered to answer retries. Tags: hub. */
    public static final String REQUEST_INDEX_SIZE = "quotahub.request.index.size";
    /** The index's cap, quotahub.max-request-index. Tags: hub. */
    public static final String REQUEST_INDEX_CAPACITY = "quotahub.request.index.capacity";
    /** Latest result of a periodic diagnostics check: 0 PASS, 1 WARN, 2 FAIL (NaN before its first run). Tags: hub, check. */
    public static final String DIAGNOSTICS_CHECK_STATUS = "quotahub.diagnostics.check.status";

    public static final String TAG_HUB = "hub";
    public static final String TAG_PEER = "peer";
    public static final String TAG_POOL = "pool";
    public static final String TAG_KEY = "key";
    public static final String TAG_LIMIT = "limit";
    public static final String TAG_REASON = "reason";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_TRANSPORT = "transport";
    public static final String TAG_RESULT = "result";
    public static final String TAG_ZONE = "zone";
    public static final String TAG_STATE = "state";
    public static final String TAG_STATUS = "status";
    public static final String TAG_HEALTH = "health";
    public static final String TAG_DECLARED = "declared";
    public static final String TAG_ENTRANCE = "entrance";

    /**
     * Every series name the hub exports for the metrics above, as Prometheus shows them (timers
     * as histograms: {@code _bucket}, {@code _count}, {@code _sum}, {@code _max}). The peer
     * series ({@link #REPLICATION_LAG}, {@link #PEER_STATUS}, {@link #TAKEOVERS}, {@link #HANDOVERS}) exist only on a
     * hub with a peer. {@link #LIMIT_USED} and the other limit gauges carry tag {@code limit} =
     * the limit's ref, {@code pool/key#i} ({@code pool#i} for a pool's own limit, with
     * {@code key=""}), i its position in the configuration's {@code limits} list.
     */
    public static final List<String> QUOTAHUB_PROMETHEUS_NAMES = List.of(
            "quotahub_leases_granted_total",
            "quotahub_leases_refused_total",
            "quotahub_leases_settled_total",
            "quotahub_takeovers_total",
            "quotahub_handovers_total",
            "quotahub_requests_rejected_total",
            "quotahub_heartbeat_proofs_ignored_total",
            "quotahub_agent_registry_refused_total",
            "quotahub_request_index_refused_total",
            "quotahub_priority_downgraded_total",
            "quotahub_settles_retry_after_clamped_total",
            "quotahub_key_tokens_used_total",
            "quotahub_acquire_latency_seconds_bucket",
            "quotahub_acquire_latency_seconds_count",
            "quotahub_acquire_latency_seconds_sum",
            "quotahub_acquire_latency_seconds_max",
            "quotahub_ledger_append_latency_seconds_bucket",
            "quotahub_ledger_append_latency_seconds_count",
            "quotahub_ledger_append_latency_seconds_sum",
            "quotahub_ledger_append_latency_seconds_max",
            "quotahub_provider_call_duration_seconds_bucket",
            "quotahub_provider_call_duration_seconds_count",
            "quotahub_provider_call_duration_seconds_sum",
            "quotahub_cooldown_applied_seconds_bucket",
            "quotahub_cooldown_applied_seconds_count",
            "quotahub_cooldown_applied_seconds_sum",
            "quotahub_cooldown_applied_seconds_max",
            "quotahub_limit_used",
            "quotahub_limit_capacity",
            "quotahub_limit_budget",
            "quotahub_limit_utilization",
            "quotahub_key_temperature",
            "quotahub_key_zone",
            "quotahub_key_circuit",
            "quotahub_key_cooldown_seconds",
            "quotahub_key_cooldown_next_seconds",
            "quotahub_key_cooldown_learned_seconds",
            "quotahub_key_disabled",
            "quotahub_hub_health_score",
            "quotahub_agents",
            "quotahub_leases_open",
            "quotahub_replication_lag_seconds",
            "quotahub_peer_status",
            "quotahub_hub_ready",
            "quotahub_config_version",
            "quotahub_config_mismatch",
            "quotahub_config_holding_raises",
            "quotahub_agent_registry_size",
            "quotahub_agent_registry_capacity",
            "quotahub_request_index_size",
            "quotahub_request_index_capacity",
            "quotahub_diagnostics_check_status");

    /**
     * JVM, process and system series every hub exports as well (Micronaut's Micrometer binders),
     * for the memory and CPU alerts and panels. GC pause and HTTP request series are left out:
     * they appear only after a first GC or request.
     */
    public static final List<String> JVM_PROMETHEUS_NAMES = List.of(
            "jvm_memory_used_bytes",
            "jvm_memory_max_bytes",
            "jvm_memory_committed_bytes",
            "jvm_threads_live_threads",
            "jvm_threads_daemon_threads",
            "jvm_classes_loaded_classes",
            "jvm_gc_memory_allocated_bytes_total",
            "process_cpu_usage",
            "process_uptime_seconds",
            "process_start_time_seconds",
            "process_files_open_files",
            "process_files_max_files",
            "system_cpu_usage",
            "system_cpu_count");

    /**
     * Every Prometheus series name a hub (with a peer) exports that alert rules and dashboards
     * may use: {@link #QUOTAHUB_PROMETHEUS_NAMES} then {@link #JVM_PROMETHEUS_NAMES}. A test scrapes
     * two running hubs and checks that each is exported and that no other {@code quotahub_*}
     * series is. The agents' own series (pushed by the SDK to the Pushgateway) are in
     * {@link #AGENT_PROMETHEUS_NAMES}.
     */
    public static final List<String> PROMETHEUS_NAMES = concat(QUOTAHUB_PROMETHEUS_NAMES, JVM_PROMETHEUS_NAMES);

    /**
     * The series agents push to their machine's Pushgateway (job {@code quotahub_agent}, grouping
     * {@code agent}); scraped from the Pushgateway, never from a hub. A hub-core test checks them
     * against what the SDK actually pushes.
     */
    public static final List<String> AGENT_PROMETHEUS_NAMES = List.of(
            "quotahub_agent_acquire_latency_seconds_bucket",
            "quotahub_agent_acquire_latency_seconds_count",
            "quotahub_agent_acquire_latency_seconds_sum",
            "quotahub_agent_leases_total",
            "quotahub_agent_refusals_total",
            "quotahub_agent_outcomes_total",
            "quotahub_agent_hub_unavailable_total");

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    private MetricNames() {
    }
}
