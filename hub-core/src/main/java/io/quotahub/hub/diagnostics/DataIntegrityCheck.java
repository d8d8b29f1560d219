package io.quotahub.hub.diagnostics;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamState;
import io.quotahub.hub.config.HubSettings;
import io.quotahub.hub.replication.Replication;
import io.quotahub.proto.Subjects;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Check 9: the ledgers this hub's state is folded from are whole and agree with the peer's.
 * <ul>
 *   <li>own ledger {@code QH_LEDGER_<hub>}: starts at sequence 1 with no message deleted (a
 *       restart replays it; a gap rebuilds a wrong state);</li>
 *   <li>with a peer, this hub's copy {@code QH_PEER_<peer>} against the peer's own ledger read
 *       through the peer's JetStream domain: the copy must be whole, never ahead of the peer's
 *       ledger, and hold byte for byte the same message at the last sequence both have;</li>
 *   <li>this hub must not have folded more of the peer's ledger than its copy holds.</li>
 * </ul>
 * FAIL on any mismatch: the two hubs' views diverge.
 */
final class DataIntegrityCheck implements DiagnosticCheck {

    private final Supplier<Connection> connection;
    private final HubSettings settings;
    private final Supplier<Replication> replication;
    private final Duration timeout;

    DataIntegrityCheck(Supplier<Connection> connection, HubSettings settings, Supplier<Replication> replication, Duration timeout) {
        this.connection = connection;
        this.settings = settings;
        this.replication = replication;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "data-integrity";
    }

    @Override
    public String title() {
        return "Data integrity";
    }

    @Override
    public CheckResult run() {
        Findings f = new Findings();
        Connection c = connection.get();
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            f.fail("The ledgers cannot be read: the NATS connection is " + (c == null ? "not open yet" : c.getStatus()),
                    "Restore the local nats-server first (see the storage check), then run diagnostics again");
            return f.result("");
        }
        JetStreamManagement local;
        try {
            local = c.jetStreamManagement(JetStreamOptions.builder().requestTimeout(timeout).build());
        } catch (IOException e) {
            f.fail("JetStream is not available on the local server", "Enable JetStream on the local nats-server");
            return f.result("");
        }
        String own = Subjects.ledgerStream(settings.hubId());
        StreamState ownState = state(f, local, own, "this hub's ledger");
        if (ownState != null) {
            whole(f, own, "this hub's ledger", ownState,
                    "Stop the hub and restore " + own + " from a backup or from the nats-server's store: a restart would rebuild a wrong state from a ledger with holes");
        }
        if (!settings.hasPeer()) {
            f.note("No peer configured: only this hub's own ledger was checked");
            return f.result("No action needed: the ledger is whole");
        }
        String copy = Subjects.peerCopyStream(settings.peerId());
        String peerLedger = Subjects.ledgerStream(settings.peerId());
        StreamState copyState = state(f, local, copy, "the copy of " + settings.peerId() + "'s ledger");
        if (copyState == null) {
            return f.result("");
        }
        String rebuildCopy = "Stop this hub, delete its stream " + copy + " (nats stream rm " + copy
                + ") and start the hub again: it recreates the copy from the peer's ledger from sequence 1";
        whole(f, copy, "the copy of " + settings.peerId() + "'s ledger", copyState, rebuildCopy);
        Replication r = replication.get();
        if (r != null && r.view().appliedSeq() > copyState.getLastSequence()) {
            f.fail("This hub folded " + settings.peerId() + "'s ledger up to sequence " + r.view().appliedSeq() + " but its copy " + copy
                            + " ends at " + copyState.getLastSequence() + ": the copy was reset under the running hub",
                    rebuildCopy);
        }
        JetStreamManagement peer;
        StreamState peerState;
        try {
            peer = c.jetStreamManagement(JetStreamOptions.builder().domain(settings.peerJetStreamDomain()).requestTimeout(timeout).build());
            peerState = peer.getStreamInfo(peerLedger).getStreamState();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            f.warn("Could not read " + peerLedger + " through the peer's JetStream domain " + settings.peerJetStreamDomain() + " ("
                            + e.getClass().getSimpleName() + "), so this hub's copy could not be compared with it",
                    "Restore the link to the peer (see the network check) and run diagnostics again");
            return f.result("");
        }
        long copyLast = copyState.getLastSequence();
        long peerLast = peerState.getLastSequence();
        if (copyLast > peerLast) {
            f.fail("This hub's copy " + copy + " is ahead of the peer's own ledger " + peerLedger + " (sequence " + copyLast + " > " + peerLast
                            + "): the peer's ledger was reset or replaced, and the two hubs' views diverge",
                    "Find out why " + settings.peerId() + "'s ledger restarted (a wiped store_dir?); " + rebuildCopy.substring(0, 1).toLowerCase() + rebuildCopy.substring(1));
        }
        long common = Math.min(copyLast, peerLast);
        if (common > 0) {
            byte[] ours = data(local, copy, common);
            byte[] theirs = data(peer, peerLedger, common);
            if (theirs == null) {
                f.warn("Message " + common + " of the peer's ledger " + peerLedger + " could not be read, so it was not compared",
                        "Run diagnostics again once the link is stable");
            } else if (ours == null || !Arrays.equals(ours, theirs)) {
                f.fail("Message " + common + " of this hub's copy " + copy + (ours == null ? " is missing" : " differs from")
                                + " message " + common + " of " + settings.peerId() + "'s ledger: this hub folded something other than what the peer wrote",
                        rebuildCopy);
            }
        }
        if (copyLast < peerLast) {
            f.note("The copy trails the peer's ledger by " + (peerLast - copyLast) + " message(s) (catching up)");
        }
        f.note("Own ledger " + own + " ends at " + (ownState == null ? "?" : ownState.getLastSequence()) + "; copy " + copy + " at " + copyLast
                + "; the peer's ledger at " + peerLast + (r == null ? "" : "; folded up to " + r.view().appliedSeq()));
        return f.result("No action needed: the ledgers are whole and this hub's copy matches the peer's ledger");
    }

    private static StreamState state(Findings f, JetStreamManagement jsm, String stream, String what) {
        try {
            return jsm.getStreamInfo(stream).getStreamState();
        } catch (IOException | JetStreamApiException e) {
            f.fail("Stream " + stream + " (" + what + ") could not be read (" + e.getClass().getSimpleName() + ")",
                    "Check JetStream on the local nats-server (see the storage check)");
            return null;
        }
    }

    private static void whole(Findings f, String stream, String what, StreamState s, String fix) {
        long last = s.getLastSequence();
        if (last == 0) {
            return;
        }
        long expected = last;
        if (s.getFirstSequence() != 1 || s.getMsgCount() != expected) {
            f.fail("Stream " + stream + " (" + what + ") has lost messages: it holds " + s.getMsgCount() + " of sequences 1.." + last
                    + " (first sequence " + s.getFirstSequence() + ", " + s.getDeletedCount() + " deleted)", fix);
        }
    }

    private static byte[] data(JetStreamManagement jsm, String stream, long seq) {
        try {
            MessageInfo m = jsm.getMessage(stream, seq);
            return m.getData();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            return null;
        }
    }
}
