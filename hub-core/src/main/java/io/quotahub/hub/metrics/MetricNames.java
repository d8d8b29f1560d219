package io.quotahub.hub.metrics;

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
    /** Acquires refused. Tags: hub, pool, reason (RefusalCode). */
    public static final String LEASES_REFUSED = "quotahub.leases.refused";
    /** Leases settled, by the provider outcome agents reported. Tags: hub, pool, key, outcome. */
    public static final String LEASES_SETTLED = "quotahub.leases.settled";
    /** Takeovers of the peer by this hub. Tags: hub, peer, declared. */
    public static final String TAKEOVERS = "quotahub.takeovers";

    // timers (histograms)
    /** Receiving an acquire to sending its reply, ledger append included. Tags: hub, transport, result. */
    public static final String ACQUIRE_LATENCY = "quotahub.acquire.latency";
    /** Ledger append to JetStream acknowledgement. Tags: hub. */
    public static final String LEDGER_APPEND_LATENCY = "quotahub.ledger.append.latency";

    // gauges
    /** Units in the current window, both hubs. Tags: hub, pool, key ("" for a pool limit), limit. */
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
    /** 1 when this hub is ready to grant. Tags: hub. */
    public static final String HUB_READY = "quotahub.hub.ready";

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

    private MetricNames() {
    }
}
