package io.quotahub.engine;

import io.quotahub.engine.internal.BudgetFold;
import io.quotahub.engine.internal.EngineCore;
import io.quotahub.engine.internal.Snapshots;
import io.quotahub.engine.view.BudgetView;
import io.quotahub.engine.view.EngineView;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The quota engine of one hub: decides leases against the limits, budgets, cooldowns, circuits
 * and thermal state of its pools. Pure Java: no I/O, time only from the injected clock.
 *
 * <p>State is a fold of ledger events: {@link #acquire} records the grant it returns at once
 * (so concurrent decisions see it); the hub makes it durable and calls {@link #cancel} if it
 * could not. {@link #replayGrant} and {@link #settle} rebuild the same state from a ledger.
 * Thread-safe; decisions on different keys do not contend on a shared lock.
 *
 * <p>A facade: each concern is one internal class. Decide and settle (leases, keys, ticks, views):
 * {@code EngineCore}; the two hubs' budget protocol: {@code BudgetFold}; snapshots: {@code Snapshots}
 * (bytes laid out by {@code SnapshotCodec}).
 */
public final class QuotaEngine {

    private final EngineCore core;
    private final BudgetFold budgets;
    private final Snapshots snapshots;
    public QuotaEngine(EngineConfig config, Clock clock, EngineListener listener) {
        this.core = new EngineCore(Objects.requireNonNull(config, "config"), Objects.requireNonNull(clock, "clock"), listener);
        this.budgets = core.budgetProtocol();
        this.snapshots = core.snapshots();
    }

    /** Decides one lease now; a grant is recorded before this returns. */
    public Decision acquire(AcquireRequest request) {
        return core.acquire(request);
    }

    /** Undoes a grant whose ledger append failed: afterwards it is as if it was never granted. */
    public void cancel(String leaseId) {
        core.cancel(leaseId);
    }

    /** Settles a lease, live or from a ledger; charges it into the windows at its settle time. */
    public SettleResult settle(Settlement settlement) {
        return core.settle(settlement);
    }

    /** Records a grant read from a ledger (own or peer) without an admission check. */
    public void replayGrant(LeaseRecord lease) {
        core.replayGrant(lease);
    }

    /** Leases past their expiry; each is settled as {@link Outcome#EXPIRED} at its expiry time. */
    public List<Settlement> expireDue() {
        return core.expireDue();
    }

    public Optional<LeaseRecord> openLease(String leaseId) {
        return core.openLease(leaseId);
    }

    /** Re-enables a key disabled by an auth failure. @return false if no such key */
    public boolean enableKey(String pool, String keyId) {
        return core.enableKey(pool, keyId);
    }

    /**
     * An operator's reset of a key: clears its cooldown, failure block, circuit (to CLOSED) and
     * disabled state, as of now. Folded from the ledger by both hubs. @return false if no such key
     */
    public boolean resetKey(String pool, String keyId) {
        return core.resetKey(pool, keyId);
    }

    // ---- the provider's word (docs/architecture.md, "External use", "Observed limits") ---------------

    /**
     * What a provider reported in its answer to a call made with {@code keyId} of {@code pool}
     * (read by the SDK, sent with the settle; call it after the settle): matches each reported
     * limit to one of the key's, books external use where the provider has fewer units left than
     * the hubs believe, and records a reported limit that differs from what was known. Both are
     * folded here at once; the hub appends the returned events to its ledger, and its peer and a
     * replay fold them with {@link #bookExternalUse} and {@link #observeLimit}.
     */
    public ProviderFeedback observeProvider(String pool, String keyId, List<ReportedLimit> report) {
        return core.observeProvider(pool, keyId, report);
    }

    /** Folds external use booked by a hub (the peer's, or any from a replay). Unknown keys or limits are ignored. */
    public void bookExternalUse(ExternalUse externalUse) {
        core.bookExternalUse(Objects.requireNonNull(externalUse, "externalUse"));
    }

    /** Folds an observed provider limit; of several for one limit the latest stands, in any fold order. */
    public void observeLimit(LimitObservation observation) {
        core.observeLimit(Objects.requireNonNull(observation, "observation"));
    }

    /**
     * An operator's action: the key's observed limits are back to the configured ones, as an
     * observation at {@code atMillis} by {@code hubId} (a later report of a lower limit records it again).
     */
    public void clearObservedLimits(String pool, String keyId, long atMillis, String hubId) {
        core.clearObservedLimits(pool, keyId, atMillis, hubId);
    }

    /** Advances thermal smoothing, trends and recovery; the hub calls it about once a second. */
    public void tick() {
        core.tick();
    }

    public EngineView view() {
        return core.view();
    }

    // ---- budgets of the two-hub protocol (docs/architecture.md, "Budgets and the split", "Takeover and fence") ----
    //
    // Every limit has a budget per hub of EngineConfig#budgetShares; this hub admits only while its
    // used units (its own leases and those of a hub it took over) plus the cost fit its budget.
    // Budgets change only through the events below, which both hubs fold identically: the hub calls
    // the same methods for its own events (live or replayed) and for the peer's.

    /** Every limit of the configuration, in a stable order: per pool, its own limits, then each key's. */
    public List<LimitRef> limitRefs() {
        return budgets.refs();
    }

    /**
     * Budgets, use and in-flight units of every limit now, in {@link #limitRefs()} order. Use is
     * counted per hub as admission counts it (settled in the window + unsettled; leases of a hub
     * taken over count for the survivor).
     */
    public List<BudgetView> budgetTable() {
        return budgets.table();
    }

    /**
     * The budget of {@code hub} of every limit, zeros omitted; empty for a hub without a budget.
     * The survivor of a takeover passes this (for the dead hub) as the Takeover's units.
     */
    public Map<LimitRef, Long> budgetsOf(String hub) {
        return budgets.budgetsOf(hub);
    }

    /**
     * Gives away unused headroom of this hub's budgets to {@code toHub}: for each limit,
     * min(requested, budget − used now), decided and taken under the pool's admission lock, so no
     * concurrent acquire can use the same units. Afterwards the state is as if
     * {@link #applyTransfer}{@code (transferId, ownHub, toHub, result)} had been folded; the hub then
     * appends the Transfer with exactly the returned units, or calls {@link #revertTransfer} if the
     * append failed. Nothing is recorded when nothing could be moved (the result is empty: append
     * nothing). Calling again with a transfer id already folded returns its units and moves nothing.
     *
     * @param requested units wanted per limit; unknown refs and non-positive units are skipped
     * @return the units actually moved, per limit, zeros omitted
     * @throws IllegalArgumentException if {@code toHub} is this hub or has no budget, or the id is
     *                                  a transfer of another hub
     */
    public Map<LimitRef, Long> giveAway(String transferId, String toHub, Map<LimitRef, Long> requested) {
        return budgets.giveAway(Objects.requireNonNull(transferId, "transferId"), toHub, requested);
    }

    /**
     * Folds a Transfer event (this hub's own, replayed, or the peer's): {@code fromHub}'s budgets
     * fall by the units, which are in flight until the matching TransferApplied. Idempotent on
     * {@code transferId}. Unknown refs are ignored; an event naming a hub without a budget is
     * ignored whole.
     */
    public void applyTransfer(String transferId, String fromHub, String toHub, Map<LimitRef, Long> units) {
        budgets.applyTransfer(Objects.requireNonNull(transferId, "transferId"), fromHub, toHub, units);
    }

    /**
     * Undoes this hub's own {@link #giveAway} whose ledger append failed: its budgets rise again and
     * the transfer id is forgotten (folding a Transfer of that id later applies it). Only call it
     * when the append certainly failed; an append that may have been stored must be retried instead.
     *
     * @return false if there was nothing to undo: unknown id, another hub's transfer, or already applied
     */
    public boolean revertTransfer(String transferId) {
        return budgets.revert(transferId);
    }

    /**
     * Folds a TransferApplied event: the in-flight units of the transfer move into {@code toHub}'s
     * budgets (at most what the Transfer sent, per limit). Idempotent on {@code transferId}. If the
     * Transfer was not folded yet (possible on some replay orders), this is remembered and takes
     * effect when it is, so budgets and in-flight units end the same in either order and never show
     * units twice or a negative in-flight meanwhile.
     */
    public void applyTransferApplied(String transferId, String fromHub, String toHub, Map<LimitRef, Long> units) {
        budgets.applyTransferApplied(Objects.requireNonNull(transferId, "transferId"), fromHub, toHub, units);
    }

    /**
     * Folds a Takeover event: {@code toHub} (the survivor) took the budgets of {@code fromHub}
     * (fenced, or declared dead): B_from −= units, B_to += units; and every lease of {@code fromHub}
     * this engine knows now, open or settled within a window, counts against {@code toHub}'s budgets
     * from now on (views' {@code used} of all hubs is unchanged). Leases of {@code fromHub} folded
     * later (it rejoined) stay its own. When this hub is the survivor, the extra room of raised
     * limits it held back for the peer ({@link #reconfigure}) is released: the peer grants nothing
     * until it has folded the reload. Not idempotent: fold each Takeover event once. Unknown refs
     * are ignored; an event naming a hub without a budget is ignored whole.
     *
     * <p>Both engines end with the same attribution only if they fold the Takeover after the same
     * leases of {@code fromHub}, i.e. in causal order; with a fence that is guaranteed, with
     * {@code declare-dead} of a hub that was still granting it is not (its budgets stay exact).
     */
    public void applyTakeover(String fromHub, String toHub, Map<LimitRef, Long> units) {
        budgets.applyTakeover(fromHub, toHub, units);
    }

    // ---- snapshots -------------------------------------------------------------------------------

    /**
     * The engine's whole state as bytes: windows (with external use booked), open leases, settled
     * ids, budgets and transfers, cooldowns, circuits, thermal state, observed provider limits, lease
     * id counter. Consistent (taken under the engine's
     * locks, so no decision or fold is half-way). Valid only for an engine of the same configuration.
     */
    public byte[] writeState() {
        return snapshots.write();
    }

    /**
     * The state {@link #writeState()} gives, written to {@code out} (not closed): for large states,
     * which then need no single array holding all of them.
     *
     * @throws java.io.UncheckedIOException if {@code out} fails
     */
    public void writeState(java.io.OutputStream out) {
        snapshots.write(out);
    }

    /**
     * Restores a state {@link #writeState written} by an engine of the same configuration, into
     * this fresh engine (nothing acquired or folded yet). Afterwards it decides exactly as the
     * writing engine did.
     *
     * @throws EngineStateException if the bytes are corrupt, truncated, of another format version or
     *                              of another configuration; this engine must then be discarded
     *                              (use {@link #checkState} first to avoid that)
     * @throws IllegalStateException if this engine is not fresh
     */
    public void readState(byte[] state) throws EngineStateException {
        snapshots.read(state);
    }

    /**
     * Checks that {@code state} restores into an engine of {@code config} (restores it into a
     * scratch engine), without touching any live engine.
     *
     * @throws EngineStateException as {@link #readState}
     */
    public static void checkState(EngineConfig config, Clock clock, byte[] state) throws EngineStateException {
        new QuotaEngine(config, clock, EngineListener.NONE).readState(state);
    }

    /** The configuration now: the one it was built with, or the last reload's (a snapshot fits only an engine of the same). */
    public EngineConfig config() {
        return core.config();
    }

    // ---- reload (docs/architecture.md, "Changing limits in flight") --------------------------------

    /**
     * Why {@code next} cannot replace the running configuration {@code current} (empty: it can): a
     * reload changes capacities and max-concurrent caps, adds and removes keys and pools, and
     * nothing else (not a limit's kind or window, a pool's preset or policy, the hub's settings).
     */
    public static List<String> reconfigureProblems(EngineConfig current, EngineConfig next) {
        return io.quotahub.engine.internal.Reconfiguration.problems(current, next);
    }

    /**
     * Switches to {@code next} now, atomically with every decision and fold. A lowered limit
     * applies to the next grant (grants already counted stay: a window above the new limit admits
     * nothing until it drains); a raised one moves every hub's budget by its change of the split,
     * and with {@code holdRaises} this hub keeps admitting under its old budget until
     * {@link #releaseRaises}; a new key or pool starts with its split; a removed key or pool grants
     * nothing more, and its open leases settle normally. Both hubs fold a reload at its place in the
     * causal order and end with the same budgets, whatever the order of transfers around it.
     *
     * @param holdRaises true on the hub that accepted the reload while its peer has not folded it
     * @return what changed
     * @throws IllegalArgumentException if {@link #reconfigureProblems} names anything; nothing changed
     */
    public ConfigChange reconfigure(EngineConfig next, boolean holdRaises) {
        return core.reconfigure(next, holdRaises);
    }

    /** The peer has folded every reload of this hub: raised limits are usable in full. */
    public void releaseRaises() {
        core.releaseRaises();
    }

    /** Is the extra room of a raised limit held back until the peer folds the reload? */
    public boolean holdingRaises() {
        return core.holdingRaises();
    }

    /**
     * False while a lease of a key a reload removed (from a pool that stays) is open: a snapshot now
     * could not name its key; take it once the lease settled or expired (within a lease TTL).
     */
    public boolean snapshotReady() {
        return core.snapshotReady();
    }

    /** Every lease granted and not settled yet (own and folded from the peer). */
    public List<LeaseRecord> openLeases() {
        return core.openLeases();
    }
}
