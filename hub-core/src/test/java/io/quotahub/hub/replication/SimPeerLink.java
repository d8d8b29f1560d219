package io.quotahub.hub.replication;

import io.quotahub.proto.Demand;

/**
 * {@link PeerLink} over the {@link SimNetwork}: demand is a lossy core NATS publish; the peer's
 * ledger is read and fenced on the peer's server, which answers whether or not the peer's process
 * runs, and does not answer across a cut link or when that server is down.
 */
final class SimPeerLink implements PeerLink {

    /** What may happen while a fence request is on its way (the protocol code runs meanwhile elsewhere). */
    interface FenceHook {
        void fenceWritten(String byHub, String fencedHub, long fenceSeq);
    }

    private final String hubId;
    private final String peerId;
    private final SimNetwork network;
    private final SimTrace trace;
    private final FenceHook hook;

    SimPeerLink(String hubId, String peerId, SimNetwork network, SimTrace trace, FenceHook hook) {
        this.hubId = hubId;
        this.peerId = peerId;
        this.network = network;
        this.trace = trace;
        this.hook = hook;
    }

    @Override
    public void publishDemand(Demand demand) {
        network.send(hubId, peerId, new SimNetwork.DemandMessage(demand));
    }

    @Override
    public long peerLedgerLastSeq() {
        if (!network.reachable(hubId, peerId)) {
            throw new PeerUnreachableException("sim: " + peerId + "'s server does not answer", null);
        }
        return network.reportedLastSeq(peerId);
    }

    @Override
    public long fencePeer(long expectedLastSeq) {
        if (!network.reachable(hubId, peerId)) {
            throw new PeerUnreachableException("sim: fencing " + peerId + " failed: its server does not answer", null);
        }
        long seq = network.ledgerOf(peerId).fence(hubId, expectedLastSeq);
        if (seq < 0) {
            trace.log(hubId, "fence of %s expecting last seq %d refused: its ledger moved on", peerId, expectedLastSeq);
        } else {
            trace.log(hubId, "FENCED %s's ledger at seq %d (tail %d)", peerId, seq, expectedLastSeq);
            hook.fenceWritten(hubId, peerId, seq);
        }
        return seq;
    }
}
