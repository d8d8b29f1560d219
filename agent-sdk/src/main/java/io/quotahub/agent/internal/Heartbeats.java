package io.quotahub.agent.internal;

import io.nats.client.Connection;
import io.quotahub.proto.Heartbeat;
import io.quotahub.proto.LeaseProof;
import io.quotahub.proto.Subjects;

import java.util.Collection;

/**
 * The client's heartbeat: lists the open leases, each with its secret (a hub counts a lease as alive
 * only with the proof; the bare {@code lease_ids} are ignored by hubs and no longer sent).
 */
final class Heartbeats {

    /**
     * Proofs per heartbeat message: an agent holding more leases sends several messages per beat
     * (hubs add up the proofs of an agent), so that none comes near a hub's message-size bound
     * (256 proofs are about 20 KB).
     */
    static final int MAX_PROOFS = 256;

    private Heartbeats() {
    }

    /** Publishes one beat on {@code connection}; never throws. */
    static void send(ClientConfig config, Connection connection, Collection<LeaseImpl> openLeases) {
        try {
            long now = config.clock().millis();
            Heartbeat.Builder hb = newHeartbeat(config, now);
            int proofs = 0;
            for (LeaseImpl lease : openLeases) {
                if (hb.getLeasesCount() == MAX_PROOFS) {
                    connection.publish(Subjects.HEARTBEAT, hb.build().toByteArray());
                    hb = newHeartbeat(config, now);
                }
                hb.addLeases(LeaseProof.newBuilder().setLeaseId(lease.leaseId()).setLeaseSecret(lease.secret()));
                proofs++;
            }
            connection.publish(Subjects.HEARTBEAT, hb.build().toByteArray());
            config.metrics().heartbeat(proofs);
        } catch (RuntimeException e) {
            DefaultQuotaClient.LOG.log(System.Logger.Level.DEBUG, () -> "heartbeat not sent: " + e.getMessage());
        }
    }

    private static Heartbeat.Builder newHeartbeat(ClientConfig config, long now) {
        return Heartbeat.newBuilder().setAgentId(config.agentId()).setSentAtEpochMs(now);
    }
}
