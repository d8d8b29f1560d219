package io.quotahub.hub.diagnostics;

import io.quotahub.hub.config.PoolsDigest;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.replication.ReplicationSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Check 2: the hub's own settings make sense together: hub and peer ids and JetStream domains,
 * lease TTL against the longest window, settle margin against the shortest one, ledger timeout
 * against the lease TTL, the rebalance floor and takeover delay; reports the pools digest (a hash
 * of pool and key ids and limits, never secrets) that both hubs must share.
 */
final class EnvironmentCheck implements DiagnosticCheck {

    private static final Set<String> ROLES = Set.of("main", "edge");
    /** The engine's default settle margin as the configuration writes it, e.g. {@code 250ms}. */
    private static final String DEFAULT_MARGIN = EngineConfig.DEFAULT_SETTLE_MARGIN.toMillis() + "ms";

    private final HubSettings settings;
    private final PoolsConfig pools;
    private final ConfigAgreement agreement;

    EnvironmentCheck(HubSettings settings, PoolsConfig pools) {
        this(settings, pools, null);
    }

    /** @param agreement the pools this hub and its peer run now (a reload changes them); null: the start-up pools */
    EnvironmentCheck(HubSettings settings, PoolsConfig pools, ConfigAgreement agreement) {
        this.settings = settings;
        this.pools = pools;
        this.agreement = agreement;
    }

    @Override
    public String name() {
        return "environment-config";
    }

    @Override
    public String title() {
        return "Environment and configuration";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        String hub = settings.hubId();
        if (!ROLES.contains(hub)) {
            f.note("Hub id '" + hub + "' is not one of the standard roles main/edge (allowed, but the peer must name it exactly)");
        }
        if (settings.hasPeer()) {
            if (settings.jetStreamDomain().equals(settings.peerJetStreamDomain())) {
                f.fail("quotahub.domain and quotahub.peer-domain are both '" + settings.jetStreamDomain()
                                + "': this hub would copy and fence its own ledger instead of the peer's",
                        "Give each hub its own JetStream domain (the defaults are the hub ids) and set peer-domain to the other hub's");
            }
            if (settings.rebalanceFloor() == 0) {
                f.warn("quotahub.rebalance-floor is 0: rebalancing may leave a hub with no budget at all, so it refuses everything until demand is measured",
                        "Set quotahub.rebalance-floor to about " + HubSettings.DEFAULT_REBALANCE_FLOOR + " (the default) so each hub always keeps some budget");
            }
            Duration suspect = ReplicationSettings.ofDefaults().suspectAfter();
            if (settings.takeoverAfter().compareTo(suspect) <= 0) {
                f.warn("quotahub.takeover-after (" + settings.takeoverAfter().toMillis() + " ms) is not longer than the "
                                + suspect.toMillis() + " ms after which a silent peer becomes SUSPECT, so a brief pause triggers a fence",
                        "Set quotahub.takeover-after to at least 2.5 s");
            }
            f.note("Peer " + settings.peerId() + " in JetStream domain " + settings.peerJetStreamDomain() + ", own domain " + settings.jetStreamDomain());
        } else {
            f.note("Single hub: no peer configured");
        }
        List<LimitSpec> limits = new ArrayList<>();
        for (PoolSpec p : pools.pools()) {
            limits.addAll(p.limits());
            for (KeySpec k : p.keys()) {
                limits.addAll(k.limits());
            }
        }
        Duration ttl = settings.leaseTtl();
        if (!limits.isEmpty()) {
            LimitSpec longest = limits.stream().max((a, b) -> a.per().compareTo(b.per())).orElseThrow();
            LimitSpec shortest = limits.stream().min((a, b) -> a.per().compareTo(b.per())).orElseThrow();
            if (ttl.compareTo(longest.per()) > 0) {
                f.warn("quotahub.lease-ttl (" + ttl + ") is longer than the longest window (" + longest.describe()
                                + "): a lease an agent never settles holds its units longer than any window lasts",
                        "Lower quotahub.lease-ttl to at most " + longest.per() + " (a little above your slowest provider call)");
            }
            Duration margin = settings.settleMargin();
            if (margin.multipliedBy(2).compareTo(shortest.per()) >= 0) {
                f.fail("quotahub.settle-margin (" + margin + ") is at least half of the shortest window (" + shortest.describe()
                                + "): every settled call counts far beyond its window and the limit is effectively cut",
                        "Set quotahub.settle-margin to the real agent-to-provider delay (default " + DEFAULT_MARGIN + "), well under " + shortest.per());
            } else if (margin.multipliedBy(10).compareTo(shortest.per()) > 0) {
                f.warn("quotahub.settle-margin (" + margin + ") is more than 10 % of the shortest window (" + shortest.describe() + ")",
                        "Lower quotahub.settle-margin towards the real agent-to-provider delay (default " + DEFAULT_MARGIN + ")");
            }
        }
        if (settings.ledgerTimeout().compareTo(ttl) >= 0) {
            f.warn("quotahub.ledger-timeout (" + settings.ledgerTimeout() + ") is not shorter than the lease TTL (" + ttl
                            + "): a grant could expire before its append is confirmed",
                    "Set quotahub.ledger-timeout well below quotahub.lease-ttl (default 5s)");
        }
        f.note("Lease TTL " + ttl + ", settle margin " + settings.settleMargin() + ", ledger timeout " + settings.ledgerTimeout());
        ConfigAgreement.Announced own = agreement == null ? null : agreement.own();
        String digest = own == null ? PoolsDigest.of(pools.pools()) : own.digest();
        ConfigAgreement.Announced peer = agreement == null ? null : agreement.peer();
        if (peer != null && !peer.digest().equals(digest)) {
            f.fail("This hub runs pools digest " + digest + " (version " + own.version() + "), its peer " + settings.peerId()
                            + " announces " + peer.digest() + " (version " + peer.version() + "): the hubs run different pools,"
                            + " so their budgets split different limits",
                    "Put the same pools file on both machines and run `infra/quotahub reload` (or POST /api/v1/admin/config/reload)"
                            + " on one hub; the other follows. The hub logs say which side could not follow and why");
        }
        f.note("Pools digest " + digest + (own == null ? "" : " version " + own.version()) + " over " + pools.pools().size()
                + " pool(s) at start-up (ids and limits only; both hubs must show the same)"
                + (peer == null ? "" : peer.digest().equals(digest) ? "; the peer announces the same" : ""));
        return f.result("No action needed; compare the pools digest with the peer hub's report when you change pools");
    }
}
