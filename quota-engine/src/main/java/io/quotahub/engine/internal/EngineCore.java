package io.quotahub.engine.internal;

import io.quotahub.engine.AcquireRequest;
import io.quotahub.engine.BlockPolicy;
import io.quotahub.engine.CircuitState;
import io.quotahub.engine.ConfigChange;
import io.quotahub.engine.Decision;
import io.quotahub.engine.EngineConfig;
import io.quotahub.engine.EngineListener;
import io.quotahub.engine.ExternalUse;
import io.quotahub.engine.LimitObservation;
import io.quotahub.engine.ProviderFeedback;
import io.quotahub.engine.ReportedLimit;
import io.quotahub.engine.LimitSpec;
import io.quotahub.engine.LeaseRecord;
import io.quotahub.engine.Outcome;
import io.quotahub.engine.PoolSpec;
import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.engine.SettleResult;
import io.quotahub.engine.Settlement;
import io.quotahub.engine.Zone;
import io.quotahub.engine.view.EngineView;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decide/settle concern behind {@link io.quotahub.engine.QuotaEngine} (acquire, cancel,
 * settle, replayed grants, expiry, key resets, ticks, views), and the owner of the parts the other
 * concerns share: it builds them and hands out the budget protocol ({@link BudgetFold}) and the
 * snapshots ({@link Snapshots}). Routes every call to its pool and runs it under that pool's lock
 * (see {@link PoolState}). Open leases live in a concurrent map so a settle finds its pool without
 * a global lock. Listener callbacks run after the lock is released.
 *
 * <p>Over 400 lines because every engine call passes here once (find the pool, take its lock, call
 * the pool's state, collect the listener events, release, notify); the decisions themselves live
 * in {@link PoolState}, {@link KeyState}, {@link SlidingWindow} and {@link KeyGuard}.
 */
public final class EngineCore {

    /** The configuration now: replaced by a reload, like {@link #pools}. */
    private volatile EngineConfig config;
    private final Clock clock;
    private final EngineListener listener;
    /**
     * The configured pools in configuration order; never changed in place: a reload publishes a new
     * map (decisions look their pool up without a lock). A removed pool is not here; its open
     * leases still settle through it.
     */
    private volatile Map<String, PoolState> pools;
    private final Budgets budgets;
    private final Map<String, OpenLease> leases = new ConcurrentHashMap<>();
    private final SettledIds settled;
    private final LeaseIds ids;
    private final long ttlMillis;
    private final long probeWaitMillis;
    private final BudgetFold fold;
    private final Snapshots snapshots;
    private final KeySelection selection;

    public EngineCore(EngineConfig config, Clock clock, EngineListener listener) {
        this(config, clock, listener, KeySelection.ORDERED, null);
    }

    /**
     * @param selection how a decision refreshes and picks keys: {@link KeySelection#ORDERED}; tests
     *                  pass the plain reference algorithm to check it against
     * @param idRandom  source of the lease ids' random suffixes; null: a CSPRNG (tests that compare
     *                  two engines pass equally seeded ones)
     */
    EngineCore(EngineConfig config, Clock clock, EngineListener listener, KeySelection selection, java.util.Random idRandom) {
        this.selection = selection;
        this.config = config;
        this.clock = clock;
        this.listener = listener == null ? EngineListener.NONE : listener;
        this.budgets = new Budgets(config.budgetShares(), config.hubId());
        long margin = Units.millis(config.settleMargin());
        long longest = 0;
        Map<String, PoolState> table = new LinkedHashMap<>();
        for (PoolSpec p : config.pools()) {
            table.put(p.name(), new PoolState(p, budgets, margin, config.cooldown(), config.thermal()));
            for (LimitSpec l : p.limits()) {
                longest = Math.max(longest, Units.millis(l.per()));
            }
            for (var k : p.keys()) {
                for (LimitSpec l : k.limits()) {
                    longest = Math.max(longest, Units.millis(l.per()));
                }
            }
        }
        this.pools = java.util.Collections.unmodifiableMap(table);
        this.ttlMillis = Units.millis(config.leaseTtl());
        this.probeWaitMillis = Math.max(1, Math.min(ttlMillis, Units.millis(config.cooldown().openFor())));
        this.settled = new SettledIds(Units.add(Units.add(ttlMillis, longest), margin));
        this.ids = new LeaseIds(config.hubId(), clock.millis(), idRandom);
        this.fold = new BudgetFold(budgets, clock, () -> pools.values());
        this.snapshots = new Snapshots(clock, fold, settled, () -> pools, leases,
                new SnapshotCodec(() -> this.config, ids, settled, budgets, fold.log(), () -> pools));
    }

    /** The configuration now. */
    public EngineConfig config() {
        return config;
    }

    /**
     * A reload (docs/architecture.md, "Changing limits in flight"): from now on the engine decides
     * under {@code next}. Atomic: taken under the budget fold's lock and every pool's, so no decision
     * or fold sees half of it. Checked first ({@link Reconfiguration#problems}); nothing changes
     * when it is refused.
     *
     * @param holdRaises this hub accepted the reload and its peer has not folded it yet: the extra
     *                   room of a raised limit is held back until {@link #releaseRaises}
     * @throws IllegalArgumentException naming every change a running engine cannot take
     */
    public ConfigChange reconfigure(EngineConfig next, boolean holdRaises) {
        java.util.Objects.requireNonNull(next, "next");
        List<String> problems = Reconfiguration.problems(config, next);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot reload: " + String.join("; ", problems));
        }
        ConfigChange[] change = new ConfigChange[1];
        fold.underAllLocksNoIo(() -> {
            long margin = Units.millis(next.settleMargin());
            Map<String, PoolState> before = new LinkedHashMap<>(pools);
            Map<String, PoolState> table = new LinkedHashMap<>();
            for (PoolSpec p : next.pools()) {
                PoolState kept = before.remove(p.name());
                if (kept != null) {
                    kept.reconfigure(p, budgets, margin, next.cooldown(), next.thermal(), holdRaises);
                    table.put(p.name(), kept);
                } else {
                    table.put(p.name(), new PoolState(p, budgets, margin, next.cooldown(), next.thermal()));
                }
            }
            for (PoolState gone : before.values()) {
                gone.retire(budgets);
            }
            change[0] = Reconfiguration.change(config, next, holdRaises);
            pools = java.util.Collections.unmodifiableMap(table);
            config = next;
            fold.rebuild();
        });
        // the caller (the hub) logs the change; the listener hears of it through the views
        return change[0];
    }

    /** The peer has folded the reloads: the extra room of raised limits is usable now. */
    public void releaseRaises() {
        fold.underAllLocksNoIo(budgets::releaseHolds);
    }

    /** Is extra room of a raised limit held back, waiting for the peer? */
    public boolean holdingRaises() {
        return budgets.holding();
    }

    /**
     * Can a snapshot be taken now? Not while a lease of a key a reload removed from a pool that
     * stays is open: the pool's windows count it, and a snapshot (of the configuration now) could
     * not name its key. It settles or expires within a lease TTL.
     */
    public boolean snapshotReady() {
        Map<String, PoolState> now = pools;
        for (OpenLease l : leases.values()) {
            PoolState p = now.get(l.pool.name());
            if (p == l.pool && p.byId.get(l.key.id()) != l.key) {
                return false;
            }
        }
        return true;
    }

    /** The state of a pool (tests), null if unknown. */
    PoolState poolState(String pool) {
        return pools.get(pool);
    }

    /** The budget protocol of the two hubs (docs/architecture.md, "Budgets and the split"). */
    public BudgetFold budgetProtocol() {
        return fold;
    }

    /** Snapshots of this engine's state. */
    public Snapshots snapshots() {
        return snapshots;
    }

    public Decision acquire(AcquireRequest r) {
        PoolState pool = pools.get(r.pool());
        if (pool == null) {
            return refuse(r.pool(), RefusalCode.UNKNOWN_POOL, null, ttlMillis, "no pool named " + r.pool());
        }
        if (r.tokens() < 0) {
            return refuse(r.pool(), RefusalCode.INVALID_REQUEST, null, ttlMillis,
                    "tokens must be >= 0, was " + r.tokens());
        }
        if (r.blockCalls() < 0) {
            return refuse(r.pool(), RefusalCode.INVALID_REQUEST, null, ttlMillis,
                    "blockCalls must be >= 0 (0: one call), was " + r.blockCalls());
        }
        if (r.tokens() > pool.maxTokensPerCall) {
            return refuse(r.pool(), RefusalCode.INVALID_REQUEST, null, ttlMillis, "tokens must be at most "
                    + pool.maxTokensPerCall + " (the most one call of pool " + r.pool() + " may use), was " + r.tokens());
        }
        if (!pool.canEverServe(r.tokens())) {
            return refuse(r.pool(), RefusalCode.NO_USABLE_KEY, null, ttlMillis, "no key of pool " + r.pool()
                    + " can ever serve " + r.tokens() + " tokens: every key (or the pool) has a smaller token limit");
        }
        Events events = new Events(listener);
        Decision decision;
        synchronized (pool) {
            if (pool.retired) {
                return refuse(r.pool(), RefusalCode.UNKNOWN_POOL, null, ttlMillis, "no pool named " + r.pool() + " (removed by a reload)");
            }
            long now = clock.millis();
            refresh(pool, now, events);
            Admission.Block block = Admission.checkPool(pool, r.tokens(), now, ttlMillis);
            if (block == null && pool.shares != null) {
                block = pool.shares.checkPool(r.agentId(), r.tokens(), now, ttlMillis);
            }
            PoolState.Choice choice = block == null
                    ? selection.choose(pool, r.tokens(), r.priority(), r.agentId(), now, ttlMillis, probeWaitMillis) : null;
            Refusal shadow = null;
            if (choice == null || choice.key() == null) {
                Admission.Lenience lenience = Admission.Lenience.shadowFor(pool.spec, r.agentId());
                if (lenience != null) {
                    // shadow or canary: decide again without what is only watched for this agent
                    PoolState.Choice lenient = shadowChoice(pool, r, now, lenience);
                    if (lenient.key() != null) {
                        shadow = refusal(pool.name(), wouldRefuse(pool, lenient.key(), r, now, lenience.watching()));
                    }
                    block = null;
                    choice = lenient; // a grant, or the refusal of what is enforced
                }
            }
            if (choice != null && choice.key() != null) {
                KeyState key = choice.key();
                Instant at = Instant.ofEpochMilli(now);
                // a block: one call was admitted above by every rule; it holds as many as fit (BlockSizing)
                boolean isBlock = r.blockCalls() > 0 && pool.spec.blocks().enabled();
                int calls = isBlock ? BlockSizing.calls(pool, key, r.agentId(), r.tokens(), r.blockCalls(), now) : 0;
                long tokens = isBlock ? Units.mul(r.tokens(), calls) : r.tokens();
                long life = isBlock ? Units.millis(pool.spec.blocks().expiry()) : ttlMillis;
                LeaseRecord lease = new LeaseRecord(ids.next(), config.hubId(), pool.name(), key.id(), tokens, r.priority(),
                        r.agentId(), r.requestId(), at, at.plusMillis(life), r.holderDigest(), r.principal(), calls);
                OpenLease open = new OpenLease(lease, pool, key, budgets.ownSlot());
                Accounting.record(open);
                leases.put(lease.leaseId(), open);
                key.thermal.observe(key.utilisation(), now);
                events.zone(pool.name(), key.id(), key.updateZone(now), key.zone);
                pool.order.granted(key, now);
                events.granted(lease);
                decision = new Decision.Admitted(lease, shadow);
            } else {
                Admission.Block b = block != null ? block : choice.block();
                if (b.keyId() != null) {
                    pool.byId.get(b.keyId()).refused++;
                }
                if (pool.shares != null) {
                    pool.shares.wantsMore(r.agentId(), now); // it competes for the next blocks (BlockSizing)
                }
                decision = new Decision.Denied(refusal(pool.name(), b));
            }
        }
        events.fire();
        if (decision instanceof Decision.Denied d) {
            listener.onRefused(r.pool(), d.refusal());
        }
        return decision;
    }

    /** The decision without the checks {@code lenience} skips: the pool's, its fair share, then the keys. */
    private PoolState.Choice shadowChoice(PoolState pool, AcquireRequest r, long now, Admission.Lenience lenience) {
        Admission.Block block = Admission.checkPool(pool, r.tokens(), now, ttlMillis, lenience);
        if (block == null && pool.shares != null && !lenience.skipsPolicy()) {
            block = pool.shares.checkPool(r.agentId(), r.tokens(), now, ttlMillis);
        }
        return block != null ? new PoolState.Choice(null, block)
                : selection.choose(pool, r.tokens(), r.priority(), r.agentId(), now, ttlMillis, probeWaitMillis, lenience);
    }

    /**
     * What enforcing would have answered to a grant on {@code key} ({@code watching}: every check,
     * the shadowed windows against the whole limit); null when only this hub's share of a shadowed
     * limit was used up (enforcing would have sent the agent to the other hub, not refused it).
     */
    private Admission.Block wouldRefuse(PoolState pool, KeyState key, AcquireRequest r, long now, Admission.Lenience watching) {
        Admission.Block b = Admission.checkPool(pool, r.tokens(), now, ttlMillis, watching);
        if (b == null && pool.shares != null) {
            b = pool.shares.checkPool(r.agentId(), r.tokens(), now, ttlMillis);
        }
        if (b == null) {
            b = Admission.checkKey(pool, key, r.tokens(), r.priority(), r.agentId(), now, ttlMillis, probeWaitMillis, watching);
        }
        return b;
    }

    private Decision refuse(String pool, RefusalCode code, String limit, long retryMillis, String message) {
        Refusal refusal = new Refusal(code, pool, null, limit, Duration.ofMillis(Math.max(1, retryMillis)), message);
        listener.onRefused(pool, refusal);
        return new Decision.Denied(refusal);
    }

    private static Refusal refusal(String pool, Admission.Block b) {
        if (b == null) {
            return null;
        }
        return new Refusal(b.code(), pool, b.keyId(), b.limit(), Duration.ofMillis(Math.max(1, b.retryMillis())), b.message());
    }

    /**
     * Before a decision: the pool's windows, and every key whose refresh would change anything
     * (due or touched, see {@link KeyOrder}), brought to {@code now}: windows, circuits, throttles, zones.
     */
    private void refresh(PoolState pool, long now, Events events) {
        pool.advance(now);
        pool.refreshedAt = Math.max(pool.refreshedAt, now);
        selection.refresh(pool, now, events);
    }

    /** Once a second: every key and the pool to {@code now}, with the thermal smoothing, and the order rebuilt. */
    private void tick(PoolState pool, long now, Events events) {
        pool.advance(now);
        pool.refreshedAt = Math.max(pool.refreshedAt, now);
        for (KeyState k : pool.keys) {
            k.advance(now);
            CircuitState before = k.guard.refresh(now);
            if (before != null) {
                events.circuit(pool.name(), k.id(), before, k.guard.circuit());
            }
            k.thermal.tick(k.utilisation(), now);
            events.zone(pool.name(), k.id(), k.updateZone(now), k.zone);
        }
        pool.order.rebuild(now);
        pool.thermal.tick(pool.utilisation(), now);
        Zone z = pool.thermal.zone(now, false);
        if (z != pool.zone) {
            events.zone(pool.name(), null, pool.zone, z);
            pool.zone = z;
        }
    }

    public void cancel(String leaseId) {
        OpenLease open = leaseId == null ? null : leases.get(leaseId);
        if (open == null) {
            return;
        }
        synchronized (open.pool) {
            if (leases.remove(leaseId) != null) {
                Accounting.unrecord(open);
                open.key.granted--;
                if (open.key.burst != null) {
                    open.key.burst.unrecord(open.grantedAtMillis);
                }
                open.key.guard.onRelease(leaseId);
                open.key.touch();
            }
        }
    }

    public SettleResult settle(Settlement s) {
        if (s.leaseId() == null || s.outcome() == null) {
            return SettleResult.UNKNOWN_LEASE;
        }
        OpenLease open = leases.get(s.leaseId());
        if (open == null) {
            return settled.contains(s.leaseId()) ? SettleResult.ALREADY_SETTLED : SettleResult.UNKNOWN_LEASE;
        }
        Events events = new Events(listener);
        synchronized (open.pool) {
            if (!leases.containsKey(s.leaseId())) {
                return settled.contains(s.leaseId()) ? SettleResult.ALREADY_SETTLED : SettleResult.UNKNOWN_LEASE;
            }
            long now = clock.millis();
            long at = chargeTime(open, s.settledAt(), now);
            // remembered before removal, so a concurrent retry never sees neither; for the retention
            // counted from the settle's own time (not from when a replay folds it), so a replayed
            // old ledger does not keep every id it ever settled (nor put them all in a snapshot)
            settled.add(s.leaseId(), Math.min(now, at));
            leases.remove(s.leaseId());
            KeyState key = open.key;
            if (open.pool.refreshedAt != Long.MIN_VALUE) {
                // a key not examined since is caught up to the pool's last refresh, as one that was
                key.advance(open.pool.refreshedAt);
            }
            Accounting.settle(open, s, at);
            key.touch();
            boolean wasDisabled = key.guard.disabled();
            long retryAfter = Units.millis(s.retryAfter()); // KeyGuard clamps it to the max cooldown
            CircuitState before = key.guard.onSettle(s.leaseId(), s.outcome(), retryAfter, at);
            if (before != null) {
                events.circuit(open.pool.name(), key.id(), before, key.guard.circuit());
            }
            if (key.guard.appliedMillis() > 0) {
                events.cooldown(open.lease, key.guard.appliedMillis());
            }
            if (!wasDisabled && key.guard.disabled()) {
                events.disabled(open.pool.name(), key.id());
            }
            events.zone(open.pool.name(), key.id(), key.updateZone(now), key.zone);
            events.settled(open.lease, s);
        }
        events.fire();
        return SettleResult.SETTLED;
    }

    /**
     * When a settle is charged: its own time, but not before the grant, nor later than one lease TTL
     * after now. A settle (or grant) time far in the future (a clock gone wrong, a corrupt ledger
     * entry) would otherwise pin its units in the windows, and its cooldown, for as long. Settle
     * times are the hubs' clocks, so a live one is about now (the peer's clock may be a little
     * ahead) and a replayed one is in the past: both are charged at their own time, a replay
     * exactly as it was live. Not bounded by the lease's expiry: a settle processed late (a stalled
     * hub) may stand for a call made up to then, and charging it earlier could undercount a window.
     */
    private long chargeTime(OpenLease open, Instant settledAt, long now) {
        long at = Math.max(open.grantedAtMillis, Units.epochMillis(settledAt, now));
        return Math.min(at, Units.add(now, ttlMillis));
    }

    public void replayGrant(LeaseRecord lease) {
        if (lease.leaseId() == null) {
            return;
        }
        if (leases.containsKey(lease.leaseId()) || settled.contains(lease.leaseId())) {
            return;
        }
        if (lease.tokens() < 0 || lease.tokens() > LimitSpec.MAX_CAPACITY || lease.blockCalls() > BlockPolicy.MAX_CALLS) {
            // not written by an honest hub (acquire refuses such a request): count it at the bound
            lease = new LeaseRecord(lease.leaseId(), lease.hubId(), lease.pool(), lease.keyId(), Units.amount(lease.tokens()),
                    lease.priority(), lease.agentId(), lease.requestId(), lease.grantedAt(), lease.expiresAt(),
                    lease.holderDigest(), lease.principal(), Math.min(lease.blockCalls(), BlockPolicy.MAX_CALLS));
        }
        ids.observe(lease.leaseId());
        PoolState pool = pools.get(lease.pool());
        KeyState key = pool == null ? null : pool.byId.get(lease.keyId());
        if (key == null) {
            return; // a pool or key no longer configured: nothing here counts it
        }
        synchronized (pool) {
            if (leases.containsKey(lease.leaseId()) || settled.contains(lease.leaseId())) {
                return;
            }
            OpenLease open = new OpenLease(lease, pool, key, budgets.slot(lease.hubId()));
            Accounting.record(open);
            leases.put(lease.leaseId(), open);
        }
    }

    public List<Settlement> expireDue() {
        long now = clock.millis();
        List<OpenLease> due = new ArrayList<>();
        for (OpenLease l : leases.values()) {
            if (l.expiresAtMillis <= now) {
                due.add(l);
            }
        }
        due.sort(Comparator.comparingLong((OpenLease l) -> l.expiresAtMillis).thenComparing(OpenLease::id));
        List<Settlement> out = new ArrayList<>();
        for (OpenLease l : due) {
            Settlement s = new Settlement(l.id(), l.lease.tokens(), Outcome.EXPIRED, Duration.ZERO, l.lease.expiresAt());
            if (settle(s) == SettleResult.SETTLED) {
                out.add(s);
            }
        }
        return out;
    }

    public Optional<LeaseRecord> openLease(String leaseId) {
        OpenLease l = leaseId == null ? null : leases.get(leaseId);
        return l == null ? Optional.empty() : Optional.of(l.lease);
    }

    public boolean enableKey(String pool, String keyId) {
        PoolState p = pools.get(pool);
        KeyState k = p == null ? null : p.byId.get(keyId);
        if (k == null) {
            return false;
        }
        Events events = new Events(listener);
        synchronized (p) {
            k.guard.enable();
            long now = clock.millis();
            events.zone(pool, keyId, k.updateZone(now), k.zone);
            k.touch();
        }
        events.fire();
        return true;
    }

    public boolean resetKey(String pool, String keyId) {
        PoolState p = pools.get(pool);
        KeyState k = p == null ? null : p.byId.get(keyId);
        if (k == null) {
            return false;
        }
        Events events = new Events(listener);
        synchronized (p) {
            CircuitState before = k.guard.reset();
            if (before != null) {
                events.circuit(pool, keyId, before, k.guard.circuit());
            }
            long now = clock.millis();
            events.zone(pool, keyId, k.updateZone(now), k.zone);
            k.touch();
        }
        events.fire();
        return true;
    }

    public ProviderFeedback observeProvider(String pool, String keyId, List<ReportedLimit> report) {
        PoolState p = pools.get(pool);
        KeyState k = p == null ? null : p.byId.get(keyId);
        if (k == null || report == null || report.isEmpty()) {
            return report == null || report.isEmpty() ? ProviderFeedback.NONE
                    : new ProviderFeedback(List.of(), List.of(), report.size());
        }
        synchronized (p) {
            long now = clock.millis();
            if (p.refreshedAt != Long.MIN_VALUE) {
                // as a settle does: caught up to the pool's last refresh (a count that is late only counts more)
                k.advance(p.refreshedAt);
            }
            return ProviderReports.observe(p, k, report, now, budgets, config.hubId());
        }
    }

    public void bookExternalUse(ExternalUse e) {
        KeyState k = key(e.pool(), e.keyId(), e.limitIndex());
        if (k != null) {
            synchronized (poolOf(e.pool(), k)) {
                ProviderReports.book(k, e, budgets);
            }
        }
    }

    public void observeLimit(LimitObservation o) {
        KeyState k = key(o.pool(), o.keyId(), o.limitIndex());
        if (k != null) {
            synchronized (poolOf(o.pool(), k)) {
                ProviderReports.record(k, o);
            }
        }
    }

    public void clearObservedLimits(String pool, String keyId, long atMillis, String hubId) {
        PoolState p = pools.get(pool);
        KeyState k = p == null ? null : p.byId.get(keyId);
        if (k == null) {
            return;
        }
        synchronized (p) {
            for (int i = 0; i < k.windows.length; i++) {
                if (k.observed[i] != null) {
                    ProviderReports.record(k, new LimitObservation(pool, keyId, i, k.windows[i].spec.capacity(), atMillis, hubId));
                }
            }
        }
    }

    /** The lock of a key found by {@link #key}: its pool, or the key itself if a reload removed the pool meanwhile. */
    private Object poolOf(String pool, KeyState k) {
        PoolState p = pools.get(pool);
        return p != null ? p : k;
    }

    /** A key that has a limit at {@code index}, or null (a pool, key or limit no longer configured). */
    private KeyState key(String pool, String keyId, int index) {
        PoolState p = pool == null ? null : pools.get(pool);
        KeyState k = p == null || keyId == null ? null : p.byId.get(keyId);
        return k == null || index < 0 || index >= k.windows.length ? null : k;
    }

    public void tick() {
        Events events = new Events(listener);
        long now = clock.millis();
        for (PoolState pool : pools.values()) {
            synchronized (pool) {
                tick(pool, now, events);
            }
        }
        settled.prune(now);
        events.fire();
    }

    public EngineView view() {
        long now = clock.millis();
        return Views.engine(config.hubId(), now, pools.values(), leases.size());
    }

    /** Every open lease (e.g. to index their request ids after a restore). */
    public List<LeaseRecord> openLeases() {
        List<LeaseRecord> out = new ArrayList<>();
        for (OpenLease l : leases.values()) {
            out.add(l.lease);
        }
        return out;
    }
}
