package io.quotahub.hub.service;

import io.quotahub.engine.ConfigChange;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.KeySpec;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.QuotaEngine;
import io.quotahub.hub.config.ConfigAgreement;
import io.quotahub.hub.config.ConfigException;
import io.quotahub.hub.config.KeyRef;
import io.quotahub.hub.config.LivePools;
import io.quotahub.hub.config.PoolsConfig;
import io.quotahub.hub.config.PoolsConfigReader;
import io.quotahub.hub.config.PoolsDigest;
import io.quotahub.hub.config.PoolsFiles;
import io.quotahub.hub.config.Secret;
import io.quotahub.hub.config.pools.KeySettings;
import io.quotahub.hub.config.pools.PoolSettings;
import io.quotahub.hub.config.pools.PoolsSettings;
import io.quotahub.hub.config.pools.SecretSource;
import io.quotahub.hub.ledger.ConfigListener;
import io.quotahub.hub.ledger.HubLedger;
import io.quotahub.hub.ledger.Ledger;
import io.quotahub.hub.ledger.LedgerEvents;
import io.quotahub.hub.ledger.LedgerFold;
import io.quotahub.proto.ConfigApplied;
import io.quotahub.proto.LedgerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Reloads of the pools and rotations of keys (docs/architecture.md, "Changing limits in flight";
 * docs/operations.md, "Changing limits, keys and pools"). A reload re-reads the files the hub was
 * started with, checks them completely, switches the engine and the secrets, and appends a
 * {@code ConfigApplied} exactly between the grants decided before and after it
 * ({@link HubLedger#exclusive}); the peer follows when it folds it (re-reading its own files) and
 * says so with a {@code ConfigApplied} of its own, after which this hub hands out the extra room of
 * raised limits. A rotation re-reads one key's secret and appends {@code KeyRotated}; the peer
 * re-reads its own source of it. Secrets never enter an event, a log line or a reply.
 */
public final class Reloads implements ConfigListener {

    private static final Logger LOG = LoggerFactory.getLogger(Reloads.class);

    /** Why a reload or rotation was refused: bad input (HTTP 400) or a hub that cannot write now (503). */
    public static final class Refused extends RuntimeException {
        private final ErrorCode code;

        public Refused(ErrorCode code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        public ErrorCode code() {
            return code;
        }
    }

    /**
     * What a reload did.
     *
     * @param changed       false when the files held what runs already (nothing written)
     * @param peer          {@code folded} (the peer switched too), {@code waiting} (not yet: a raised
     *                      limit's extra room waits for it) or {@code none} (a single hub)
     * @param holdingRaises true while the extra room of a raised limit waits for the peer
     */
    public record ReloadResult(boolean changed, long version, String digest, String previousDigest, List<String> changes,
                               String peer, boolean holdingRaises) {
    }

    /** What a rotation did: the key, and whether new leases get another secret than before. */
    public record RotateResult(String pool, String keyId, boolean changed) {
    }

    /** A checked configuration, read from the files, not applied yet. */
    private record Prepared(PoolsSettings settings, PoolsConfig pools, EngineConfig engine, String digest,
                            List<String> rotated) {
    }

    private final String hubId;
    private final QuotaEngine engine;
    private final HubLedger ledger;
    private final LivePools live;
    private final PoolsFiles files;
    private final Function<String, String> env;
    private final ConfigAgreement agreement;
    private final Clock clock;
    private final boolean hasPeer;
    private final String peerId;
    private final Duration appendTimeout;
    private volatile BooleanSupplier peerServing = () -> true;
    /** The newest version either hub wrote, as far as this hub knows: the next reload's is one more. */
    private final AtomicLong highest = new AtomicLong();
    /** Newest own reload the peer followed. */
    private final AtomicLong peerFollowed = new AtomicLong();
    /** Newest own reload accepted with raised limits held back. */
    private final AtomicLong holdingFor = new AtomicLong();
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waitingForPeer = new ConcurrentSkipListMap<>();
    /** A peer's reload this hub could not follow yet because it could not write its ledger (fenced, starting). */
    private record Pending(String peerHub, long version, String digest) {
    }

    private volatile Pending pending;
    private volatile Consumer<List<PoolSpec>> onSwitch = pools -> { };

    public Reloads(String hubId, QuotaEngine engine, HubLedger ledger, LivePools live, PoolsFiles files,
                   Function<String, String> env, ConfigAgreement agreement, Clock clock, String peerId, Duration appendTimeout) {
        this.hubId = hubId;
        this.engine = engine;
        this.ledger = ledger;
        this.live = live;
        this.files = files;
        this.env = env;
        this.agreement = agreement;
        this.clock = clock;
        this.peerId = peerId;
        this.hasPeer = peerId != null;
        this.appendTimeout = appendTimeout;
    }

    /** Told the engine's pools after every switch (this hub's reload, a followed one, one undone). */
    public void onSwitch(Consumer<List<PoolSpec>> listener) {
        this.onSwitch = listener;
    }

    private void switched() {
        onSwitch.accept(engine.config().pools());
    }

    /** Whether the peer grants now (not fenced or taken over): a raise waits for it only then. */
    public void peerServing(BooleanSupplier serving) {
        this.peerServing = serving;
    }

    /**
     * The start-up replay is done: versions as the ledgers hold them; a reload the peer accepted
     * while this hub was away is followed now.
     */
    public void afterStart(LedgerFold fold) {
        highest.accumulateAndGet(fold.configVersion(), Math::max);
        peerFollowed.accumulateAndGet(fold.peerFollowedMine(), Math::max);
        String digest = PoolsDigest.of(engine.config().pools());
        long version = digest.equals(fold.configDigest()) ? fold.configVersion() : 0;
        agreement.running(version, digest, clock.millis());
        if (hasPeer && fold.peerAccepted() > fold.ownConfigWritten() && fold.peerAccepted() > 0) {
            follow(peerId, fold.peerAccepted(), fold.peerAcceptedDigest());
        }
    }

    // ---- reload --------------------------------------------------------------------------------

    /**
     * Re-reads, checks and applies the pools; see the class comment.
     *
     * @param waitForPeer how long to wait for the peer to follow before answering {@code waiting}
     * @throws Refused BAD_REQUEST naming the file or path of what is wrong (nothing changed), or
     *                 UNAVAILABLE when the ledger cannot take it now (nothing changed)
     */
    public ReloadResult reload(String principal, Duration waitForPeer) {
        ReloadResult result;
        CompletableFuture<Void> followed;
        synchronized (this) {
            Ledger target = writableLedger();
            Prepared p = prepare();
            String before = agreement.own().digest();
            if (p.digest().equals(before) && p.rotated().isEmpty()) {
                return new ReloadResult(false, agreement.own().version(), before, before, List.of(), peerState(), engine.holdingRaises());
            }
            long version = highest.get() + 1;
            boolean hold = hasPeer && peerServing.getAsBoolean();
            EngineConfig engineBefore = engine.config();
            LivePools.Current poolsBefore = live.current();
            boolean wasHolding = engine.holdingRaises();
            ConfigChange[] change = new ConfigChange[1];
            CompletableFuture<Long> stored = ledger.exclusive(() -> {
                change[0] = engine.reconfigure(p.engine(), hold);
                live.replace(p.pools(), p.settings());
                return target.append(LedgerEvents.configApplied(hubId, clock.millis(), version, p.digest(), "", principal,
                        lines(change[0], p.rotated())));
            });
            try {
                stored.get(appendTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                ledger.exclusive(() -> {
                    engine.reconfigure(engineBefore, false);
                    if (!wasHolding) {
                        engine.releaseRaises();
                    }
                    live.replace(poolsBefore.config(), poolsBefore.settings());
                    return null;
                });
                switched();
                throw new Refused(ErrorCode.UNAVAILABLE, "the ledger did not store the reload (" + e.getClass().getSimpleName()
                        + "): nothing changed; try again");
            }
            highest.accumulateAndGet(version, Math::max);
            agreement.running(version, p.digest(), clock.millis());
            switched();
            if (change[0].holding()) {
                holdingFor.accumulateAndGet(version, Math::max);
            }
            List<String> changes = lines(change[0], p.rotated());
            LOG.info("hub {}: pools reloaded by '{}': version {}, digest {} (was {}){}", hubId, principal, version, p.digest(), before,
                    changes.isEmpty() ? "" : ": " + String.join("; ", changes));
            followed = hasPeer ? waitingForPeer.computeIfAbsent(version, v -> new CompletableFuture<>()) : null;
            if (followed != null && peerFollowed.get() >= version) {
                followed.complete(null);
            }
            result = new ReloadResult(true, version, p.digest(), before, changes, hasPeer ? "waiting" : "none", change[0].holding());
        }
        if (followed == null) {
            return result;
        }
        try {
            followed.get(waitForPeer.toMillis(), TimeUnit.MILLISECONDS);
            return new ReloadResult(true, result.version(), result.digest(), result.previousDigest(), result.changes(), "folded",
                    engine.holdingRaises());
        } catch (TimeoutException | ExecutionException e) {
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return result;
        }
    }

    private String peerState() {
        if (!hasPeer) {
            return "none";
        }
        return peerFollowed.get() >= agreement.own().version() && !agreement.mismatch() ? "folded" : "waiting";
    }

    private Ledger writableLedger() {
        Ledger target = ledger.current();
        if (target == null || target.fenced() || ledger.stoppedGranting()) {
            throw new Refused(ErrorCode.UNAVAILABLE, "hub " + hubId + " cannot write its ledger now (starting, fenced or stopping):"
                    + " nothing changed; reload through the other hub or retry");
        }
        return target;
    }

    /** Reads and checks everything; applies nothing. */
    private Prepared prepare() {
        PoolsSettings settings;
        try {
            settings = files.read();
        } catch (ConfigException e) {
            throw new Refused(ErrorCode.BAD_REQUEST, e.getMessage() + "; nothing changed");
        }
        PoolsConfig pools = new PoolsConfigReader(env).read(settings);
        List<String> unreadable = new ArrayList<>();
        for (PoolSettings pool : settings.pools()) {
            for (KeySettings key : pool.keys()) {
                KeyRef ref = new KeyRef(pool.name(), key.id());
                // a key left out since start-up (its secret unreadable then too) may stay out; no other may go
                if (!pools.secrets().containsKey(ref) && (live.secret(ref) != null || !configured(ref))) {
                    unreadable.add(ref.toString());
                }
            }
        }
        if (!unreadable.isEmpty()) {
            List<String> why = pools.problems().stream().filter(pr -> pr.startsWith("key ")).toList();
            throw new Refused(ErrorCode.BAD_REQUEST, "the secret of " + String.join(", ", unreadable) + " cannot be read ("
                    + String.join("; ", why) + "); a reload never drops a key whose secret it cannot read; nothing changed");
        }
        EngineConfig current = engine.config();
        EngineConfig next = new EngineConfig(current.hubId(), pools.pools(), current.budgetShares(), current.settleMargin(),
                current.leaseTtl(), current.cooldown(), current.thermal());
        List<String> problems = QuotaEngine.reconfigureProblems(current, next);
        if (!problems.isEmpty()) {
            throw new Refused(ErrorCode.BAD_REQUEST, "a reload cannot make these changes (restart the hubs one at a time for them): "
                    + String.join("; ", problems) + "; nothing changed");
        }
        List<String> rotated = new ArrayList<>();
        Map<KeyRef, Secret> now = live.config().secrets();
        for (PoolSpec pool : current.pools()) {
            for (KeySpec key : pool.keys()) {
                KeyRef ref = new KeyRef(pool.name(), key.id());
                Secret fresh = pools.secrets().get(ref);
                if (fresh != null && now.get(ref) != null && !fresh.equals(now.get(ref))) {
                    rotated.add(ref.toString());
                }
            }
        }
        return new Prepared(settings, pools, next, PoolsDigest.of(next.pools()), rotated);
    }

    /** Is the key in the settings served now (whether or not its secret could be read)? */
    private boolean configured(KeyRef ref) {
        return live.current().settings().pools().stream().filter(p -> p.name().equals(ref.pool()))
                .flatMap(p -> p.keys().stream()).anyMatch(k -> k.id().equals(ref.keyId()));
    }

    private static List<String> lines(ConfigChange change, List<String> rotated) {
        List<String> out = new ArrayList<>(change.describe());
        if (!rotated.isEmpty()) {
            out.add("secrets rotated: " + String.join(", ", rotated));
        }
        return out;
    }

    // ---- the peer's reloads ----------------------------------------------------------------------

    @Override
    public void peerAccepted(String peerHub, ConfigApplied reload) {
        highest.accumulateAndGet(reload.getVersion(), Math::max);
        follow(peerHub, reload.getVersion(), reload.getDigest());
    }

    /**
     * Follows the peer's reload: re-reads this hub's files; if they give the digest the peer
     * accepted, switches (the peer has switched: nothing is held back) and says so in the ledger.
     * Otherwise this hub keeps its pools and says why (a mismatch is alerted).
     */
    private synchronized void follow(String peerHub, long version, String digest) {
        Ledger target = ledger.current();
        if (target == null || target.fenced()) {
            if (pending == null || pending.version() < version) {
                LOG.warn("hub {}: the peer reloaded its pools (version {}); this hub cannot write its ledger now and follows"
                        + " once it can", hubId, version);
                pending = new Pending(peerHub, version, digest);
            }
            return;
        }
        if (pending != null && pending.version() <= version) {
            pending = null;
        }
        String followsHub = peerHub == null ? peerId : peerHub;
        if (version <= agreement.own().version() && digest.equals(agreement.own().digest())) {
            // it runs these pools already (both hubs accepted the same file at once): only say so,
            // so that the peer hands out what it held back
            target.append(LedgerEvents.configApplied(hubId, clock.millis(), version, digest, followsHub, "", List.of()));
            return;
        }
        Prepared p;
        try {
            p = prepare();
        } catch (Refused e) {
            LOG.error("hub {}: the peer reloaded its pools (version {}, digest {}) but this hub's files cannot be: {}."
                    + " This hub keeps its pools (the hubs now differ: QuotaHubConfigMismatch); fix the files and run"
                    + " reload on this hub", hubId, version, digest, e.getMessage());
            return;
        }
        if (!p.digest().equals(digest)) {
            LOG.error("hub {}: the peer reloaded its pools (version {}, digest {}) but this hub's files give digest {}."
                    + " This hub keeps its pools (digest {}); copy the same pools file to both machines and run reload",
                    hubId, version, digest, p.digest(), agreement.own().digest());
            return;
        }
        ConfigChange[] change = new ConfigChange[1];
        ledger.exclusive(() -> {
            change[0] = engine.reconfigure(p.engine(), false);
            live.replace(p.pools(), p.settings());
            return target.append(LedgerEvents.configApplied(hubId, clock.millis(), version, digest,
                    followsHub, "", lines(change[0], p.rotated())));
        }).whenComplete((seq, error) -> {
            if (error != null) {
                LOG.warn("hub {}: switched to the peer's pools version {} but could not record it ({}); the peer keeps"
                        + " raised limits held back until this hub reloads again", hubId, version, error.toString());
            }
        });
        agreement.running(version, digest, clock.millis());
        switched();
        List<String> changes = lines(change[0], p.rotated());
        LOG.info("hub {}: followed the peer's reload: pools version {}, digest {}{}", hubId, version, digest,
                changes.isEmpty() ? "" : ": " + String.join("; ", changes));
    }

    /** Follows a peer's reload that was folded while this hub could not write (the housekeeping calls it). */
    public void retryPending() {
        Pending p = pending;
        if (p != null) {
            Ledger target = ledger.current();
            if (target != null && !target.fenced()) {
                follow(p.peerHub(), p.version(), p.digest());
            }
        }
    }

    @Override
    public void peerFollowed(long version, String digest) {
        peerFollowed.accumulateAndGet(version, Math::max);
        highest.accumulateAndGet(version, Math::max);
        if (version >= holdingFor.get() && digest.equals(agreement.own().digest()) && engine.holdingRaises()) {
            engine.releaseRaises();
            LOG.info("hub {}: the peer folded the reload of version {}: raised limits are usable in full", hubId, version);
        }
        for (var w : waitingForPeer.headMap(version, true).entrySet()) {
            w.getValue().complete(null);
            waitingForPeer.remove(w.getKey());
        }
    }

    // ---- rotation ---------------------------------------------------------------------------------

    /**
     * Re-reads a key's secret from its {@code secret-env}/{@code secret-file} and gives it to new
     * leases; open leases keep theirs. Recorded in the ledger (never the secret).
     *
     * @throws Refused UNKNOWN_POOL for a key not served, BAD_REQUEST when the source cannot be read
     *                 or still holds the secret in use, UNAVAILABLE when the ledger cannot take it
     */
    public synchronized RotateResult rotate(String pool, String keyId, String principal) {
        Ledger target = writableLedger();
        KeyRef ref = new KeyRef(pool, keyId);
        Secret fresh = readSecret(ref);
        if (fresh.equals(live.secret(ref))) {
            throw new Refused(ErrorCode.BAD_REQUEST, "the secret source of " + ref + " still holds the secret in use:"
                    + " write the new secret to its secret-file (or secret-env) first; nothing changed");
        }
        try {
            target.append(LedgerEvents.keyRotated(hubId, pool, keyId, clock.millis(), principal))
                    .get(appendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new Refused(ErrorCode.UNAVAILABLE, "the ledger did not store the rotation (" + e.getClass().getSimpleName()
                    + "): nothing changed; try again");
        }
        live.rotate(ref, fresh);
        LOG.info("hub {}: key {} rotated by '{}': new leases get the secret now in its source", hubId, ref, principal);
        return new RotateResult(pool, keyId, true);
    }

    @Override
    public void peerRotated(String pool, String keyId) {
        KeyRef ref = new KeyRef(pool, keyId);
        try {
            Secret fresh = readSecret(ref);
            boolean changed = !fresh.equals(live.secret(ref));
            live.rotate(ref, fresh);
            if (changed) {
                LOG.info("hub {}: the peer rotated key {}: re-read its secret here too", hubId, ref);
            } else {
                LOG.warn("hub {}: the peer rotated key {}, but this hub's source of it holds the same secret as before:"
                        + " update it here and rotate the key on this hub", hubId, ref);
            }
        } catch (Refused e) {
            LOG.error("hub {}: the peer rotated key {}, but this hub cannot re-read it: {}", hubId, ref, e.getMessage());
        }
    }

    /** The secret of a served key, read from its source now. */
    private Secret readSecret(KeyRef ref) {
        SecretSource source = null;
        for (PoolSettings p : live.current().settings().pools()) {
            if (p.name().equals(ref.pool())) {
                for (KeySettings k : p.keys()) {
                    if (k.id().equals(ref.keyId())) {
                        source = k.secret();
                    }
                }
            }
        }
        if (source == null || live.secret(ref) == null) {
            throw new Refused(ErrorCode.UNKNOWN_POOL, "no key '" + ref.keyId() + "' in pool '" + ref.pool() + "'");
        }
        SecretSource.Outcome read = source.read(env);
        if (read instanceof SecretSource.Read r) {
            return new Secret(r.value());
        }
        throw new Refused(ErrorCode.BAD_REQUEST, "cannot re-read the secret of " + ref + ": "
                + ((SecretSource.Unreadable) read).problem() + "; nothing changed");
    }
}
