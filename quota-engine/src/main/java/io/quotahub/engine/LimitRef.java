package io.quotahub.engine;

import java.util.Objects;

/**
 * Names one limit of the engine's configuration, as budget events on the ledger do: the
 * {@code index}-th limit of key {@code keyId} of {@code pool} ({@code "pool/key#i"}), or, with
 * {@code keyId} null, the {@code index}-th limit of the pool itself ({@code "pool#i"}). The index is
 * the position in {@link KeySpec#limits()} or {@link PoolSpec#limits()}.
 *
 * <p>The wire form ({@link #toString()}, {@link #parse(String)}) is unambiguous as long as pool
 * names contain no {@code '/'} and key ids no {@code '#'}-suffix of digits of their own.
 */
public record LimitRef(String pool, String keyId, int index) {

    /**
     * @throws NullPointerException     if {@code pool} is null
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public LimitRef {
        Objects.requireNonNull(pool, "pool");
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, was " + index);
        }
    }

    /** The i-th limit of a pool itself. */
    public static LimitRef ofPool(String pool, int index) {
        return new LimitRef(pool, null, index);
    }

    /** The i-th limit of a key of a pool. */
    public static LimitRef ofKey(String pool, String keyId, int index) {
        return new LimitRef(pool, Objects.requireNonNull(keyId, "keyId"), index);
    }

    /** Is this a limit of the pool itself (not of one of its keys)? */
    public boolean isPoolLimit() {
        return keyId == null;
    }

    /**
     * Parses the wire form {@code "pool/key#i"} or {@code "pool#i"}: the index follows the last
     * {@code '#'}, the pool ends at the first {@code '/'}.
     *
     * @throws IllegalArgumentException if {@code ref} has no {@code '#'} followed by a non-negative index
     */
    public static LimitRef parse(String ref) {
        Objects.requireNonNull(ref, "ref");
        int hash = ref.lastIndexOf('#');
        if (hash <= 0 || hash == ref.length() - 1) {
            throw new IllegalArgumentException("not a limit ref (pool#i or pool/key#i): " + ref);
        }
        int index;
        try {
            index = Integer.parseInt(ref.substring(hash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a limit ref (pool#i or pool/key#i): " + ref, e);
        }
        String head = ref.substring(0, hash);
        int slash = head.indexOf('/');
        if (slash < 0) {
            return new LimitRef(head, null, index);
        }
        if (slash == 0 || slash == head.length() - 1) {
            throw new IllegalArgumentException("not a limit ref (pool#i or pool/key#i): " + ref);
        }
        return new LimitRef(head.substring(0, slash), head.substring(slash + 1), index);
    }

    /** The wire form: {@code "pool/key#i"} or {@code "pool#i"}. */
    @Override
    public String toString() {
        return keyId == null ? pool + "#" + index : pool + "/" + keyId + "#" + index;
    }
}
