package io.quotahub.hub.diagnostics;

import io.nats.client.Connection;
import io.quotahub.hub.replication.PeerView;
import io.quotahub.hub.replication.Replication;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Check 8: the NATS connection (status, server, round trip via {@code Connection.RTT()}) and the
 * peer hub: CONNECTED → PASS, SUSPECT → WARN, PARTITIONED / FENCED / DEAD → FAIL; replication
 * lag above the threshold → WARN. A single hub passes with "no peer configured".
 */
final class NetworkCheck implements DiagnosticCheck {

    private final Supplier<Connection> connection;
    private final Supplier<Replication> replication;
    private final String peerId;
    private final DiagnosticsSettings settings;

    NetworkCheck(Supplier<Connection> connection, Supplier<Replication> replication, String peerId, DiagnosticsSettings settings) {
        this.connection = connection;
        this.replication = replication;
        this.peerId = peerId;
        this.settings = settings;
    }

    @Override
    public String name() {
        return "network-peer";
    }

    @Override
    public String title() {
        return "Network and peer connectivity";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        Connection c = connection.get();
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            f.fail("The NATS connection is " + (c == null ? "not open yet" : c.getStatus()) + ": agents cannot reach this hub and it cannot reach its peer",
                    "Restart the local nats-server and check quotahub.nats-url; the hub reconnects by itself");
        } else {
            String server = hostPort(c.getConnectedUrl());
            try {
                Duration rtt = CompletableFuture.supplyAsync(() -> {
                    try {
                        return c.RTT();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).get(settings.natsTimeout().toMillis(), TimeUnit.MILLISECONDS);
                if (rtt.compareTo(settings.rttWarn()) > 0) {
                    f.warn("The round trip to the NATS server " + server + " took " + rtt.toMillis() + " ms (threshold " + settings.rttWarn().toMillis() + " ms)",
                            "The hub must run beside its own nats-server: check quotahub.nats-url points at the local server and the machine is not overloaded");
                }
                f.note("NATS " + server + " CONNECTED, round trip " + Findings.millis(rtt.toNanos()));
            } catch (Exception e) {
                f.fail("The NATS server " + server + " did not answer a ping within " + settings.natsTimeout().toMillis() + " ms",
                        "Check the local nats-server (overloaded or hung) and restart it if needed");
            }
        }
        if (peerId == null) {
            f.note("No peer configured (single hub): nothing to replicate");
            return f.result("No action needed");
        }
        Replication r = replication.get();
        if (r == null) {
            f.warn("The two-hub protocol has not started yet (the hub is still starting)", "Wait for the hub to become ready; check /health/readiness");
            return f.result("");
        }
        PeerView peer = r.view();
        String seen = peer.lastSeenMs() < 0 ? "never heard from" : "last heard " + peer.lastSeenMs() + " ms ago";
        switch (peer.status()) {
            case CONNECTED -> f.note("Peer " + peer.hubId() + " is CONNECTED (" + seen + "), folded up to its ledger sequence " + peer.appliedSeq());
            case SUSPECT -> f.warn("Peer " + peer.hubId() + " is SUSPECT: it stopped announcing itself (" + seen + ") but its NATS server answers; a takeover follows if it stays silent",
                    "Check the peer hub's process (systemctl status hub-" + peer.hubId() + "); if it is hung, restart it");
            case PARTITIONED -> f.fail("Peer " + peer.hubId() + " is PARTITIONED: neither it nor its NATS server answers (" + seen + "); transfers stopped and each hub serves from its own budget",
                    "Check the leafnode link between the machines (network, firewall, the peer's nats-server); if the peer machine is known to be dead, POST /api/v1/admin/peer/declare-dead");
            case FENCED -> f.fail("Peer " + peer.hubId() + " is FENCED: it went silent, this hub fenced its ledger and took its budget (" + seen + ")",
                    "Restart the peer hub; it rejoins with budget 0 and rebalancing gives it budget back");
            case DEAD -> f.fail("Peer " + peer.hubId() + " was declared DEAD by an operator; this hub holds its budget (" + seen + ")",
                    "Bring the peer back (it rejoins once it announces itself as ready) before the next failure, or run single-hub on purpose");
        }
        if (peer.status() == io.quotahub.hub.replication.PeerStatus.CONNECTED && peer.replicationLagMs() > settings.lagWarn().toMillis()) {
            f.warn("Replication lag is " + peer.replicationLagMs() + " ms (threshold " + settings.lagWarn().toMillis() + " ms): this hub sees the peer's grants late",
                    "Check the bandwidth and latency of the link between the machines and the peer's load");
        } else {
            f.note("Replication lag " + peer.replicationLagMs() + " ms");
        }
        return f.result("No action needed: NATS answers and the peer is connected");
    }

    /** host:port only: a URL may carry credentials. */
    static String hostPort(String url) {
        if (url == null) {
            return "(unknown)";
        }
        try {
            URI u = URI.create(url);
            return u.getHost() + ":" + u.getPort();
        } catch (IllegalArgumentException e) {
            return "(unparsable URL)";
        }
    }
}
