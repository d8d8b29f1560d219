package io.quotahub.hub.config;

/**
 * Which pools this hub runs and which its peer says it runs: the version and digest of each
 * (this hub's from its reloads, the peer's from its announcements). The hubs must run the same
 * pools: a different digest is a diagnostics FAIL and an alert, not a note.
 */
public final class ConfigAgreement {

    /** A configuration as announced: its version (0: none recorded) and digest. */
    public record Announced(long version, String digest, long atMillis) {
    }

    private volatile Announced own;
    private volatile Announced peer;

    public ConfigAgreement(String digest, long atMillis) {
        this.own = new Announced(0, digest, atMillis);
    }

    public Announced own() {
        return own;
    }

    /** What the peer announced last; null if it never announced a digest (not heard, or a hub without reloads). */
    public Announced peer() {
        return peer;
    }

    public void running(long version, String digest, long atMillis) {
        own = new Announced(version, digest, atMillis);
    }

    public void peerAnnounced(long version, String digest, long atMillis) {
        if (digest != null && !digest.isEmpty()) {
            peer = new Announced(version, digest, atMillis);
        }
    }

    /** True when the peer announced a digest other than this hub's. */
    public boolean mismatch() {
        Announced p = peer;
        return p != null && !p.digest().equals(own.digest());
    }
}
