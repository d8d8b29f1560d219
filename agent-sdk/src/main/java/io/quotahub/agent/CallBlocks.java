package io.quotahub.agent;

import java.time.Duration;

/**
 * Calls of one pool served in-process from blocks (docs/clients.md, "Blocks (Java SDK)"): the client holds a
 * block (permission for a number of calls on one key, valid for a short time) and hands out its
 * calls without a round trip to a hub, refilling ahead of need in the background. Get one from
 * {@link QuotaClient#blocks(String)}; the pool must have {@code blocks} configured at the hubs
 * (without it every refill is a lease for one call, used for one call).
 *
 * <p>A block is never used past its expiry as the client's own clock counts it from when it sent
 * the request, less a safety margin; its calls keep working through a hub failover for its
 * remaining life. Thread-safe.
 */
public interface CallBlocks extends AutoCloseable {

    /**
     * One call of about {@code tokens} from the block held now: no round trip, no allocation. When
     * no block has room it returns null at once and a refill is under way (if the hubs allow one);
     * ask again, or use {@link #acquire(long, Duration)} to wait for it.
     *
     * @param tokens estimated tokens of the call, {@code > 0}
     * @return the block the call draws on (the same object for every call of that block), or null
     * @throws IllegalArgumentException if {@code tokens} is not positive
     * @throws IllegalStateException    if this or the client is closed
     */
    Block tryAcquire(long tokens);

    /**
     * One call of about {@code tokens}, waiting up to {@code maxWait} for a block with room when none
     * is held (one round trip to a hub, or more while the hubs refuse).
     *
     * @param tokens  estimated tokens of the call, {@code > 0}
     * @param maxWait how long to wait for a block
     * @return the block the call draws on
     * @throws IllegalArgumentException if {@code tokens} is not positive or {@code maxWait} null or negative
     * @throws IllegalStateException    if this or the client is closed
     * @throws QuotaExhaustedException  if no block had room within {@code maxWait}
     * @throws QuotaHubException        if a hub rejected the request or the thread was interrupted
     */
    Block acquire(long tokens, Duration maxWait);

    /**
     * The pool these calls are of.
     *
     * @return the pool's name
     */
    String pool();

    /** Stops refilling and settles the blocks held with what was drawn from them. */
    @Override
    void close();
}
