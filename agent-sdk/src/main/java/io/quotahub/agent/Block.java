package io.quotahub.agent;

import java.time.Duration;

/**
 * A block the client holds: permission for a number of calls on one key of a pool, granted by a
 * hub as one lease and used in-process until it expires (docs/architecture.md, "Block leases").
 * {@link CallBlocks#tryAcquire} hands out the block a call draws on; every call of the block gets
 * the same object (nothing is allocated per call), so an outcome reported here is the block's.
 *
 * <p>The client settles the block itself, with the calls and tokens drawn from it, when it is used
 * up, expires, or ends, or when {@link CallBlocks#close()} or the client closes. A block used up
 * is settled as soon as each of its calls was reported {@link #callCompleted() completed}, else at
 * the next call or at its end of use. Thread-safe.
 */
public interface Block {

    /**
     * The pool the block is of.
     *
     * @return the pool's name
     */
    String pool();

    /**
     * Id of the block's lease (as the hubs' ledgers and dashboards name it; not a secret).
     *
     * @return the lease id
     */
    String leaseId();

    /**
     * Id of the hub that granted the block.
     *
     * @return the hub id
     */
    String hubId();

    /**
     * Id of the key the calls must use.
     *
     * @return the key id
     */
    String keyId();

    /**
     * The key's secret for the provider call. Never log it.
     *
     * @return the API key
     */
    String apiKey();

    /**
     * A call of the block got a 429: the block ends at once (no further call draws on it) and its
     * settle reports RATE_LIMITED, so the hubs cool the key down as a 429 on a lease would.
     *
     * @param retryAfter the provider's Retry-After, {@link Duration#ZERO} if it gave none
     * @throws IllegalArgumentException if {@code retryAfter} is null or negative
     */
    void rateLimited(Duration retryAfter);

    /**
     * A call of the block completed, whatever its outcome: report it once per call drawn, after the
     * call's 429, failure or tokens. Optional, and cheap (one atomic increment): once every call of
     * the block was drawn and completed, the client settles it at once, which frees the calls it
     * reserved at the hubs; without it a used-up block is settled at the next call or at its end of
     * use, and the hubs count its calls as reserved until then.
     */
    void callCompleted();

    /**
     * A call of the block failed (an error answer or no answer). The block goes on; its settle
     * reports ERROR if most of its calls failed.
     */
    void failed();

    /**
     * The provider refused the key (401/403): the block ends at once and its settle reports
     * AUTH_FAILED, which disables the key at the hubs.
     */
    void authFailed();

    /**
     * Corrects the tokens of the block's calls: a call that used {@code actual} tokens where it drew
     * {@code estimate}. Without it, the block settles with the estimates drawn.
     *
     * @param estimate the tokens the call drew
     * @param actual   the tokens it used, {@code >= 0}
     * @throws IllegalArgumentException if {@code actual} or {@code estimate} is negative
     */
    void tokensUsed(long estimate, long actual);
}
