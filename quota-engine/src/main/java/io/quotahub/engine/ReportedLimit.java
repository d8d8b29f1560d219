package io.quotahub.engine;

import java.util.Objects;

/**
 * One limit as the provider reported it in its answer to a call (read by an SDK from rate-limit
 * headers or a 429's body). A null field is one the provider did not send. The hub has checked the
 * bounds (every value in {@code [0, LimitSpec.MAX_CAPACITY]}) before the engine sees it.
 *
 * @param limit            the provider's limit for the window
 * @param remaining        what the provider says is left in the window
 * @param resetAfterMillis when the window has room again
 */
public record ReportedLimit(Kind kind, Long limit, Long remaining, Long resetAfterMillis) {

    /** What the provider's limit counts. Every token kind is matched to the key's token limits. */
    public enum Kind {
        REQUESTS,
        TOKENS,
        INPUT_TOKENS,
        OUTPUT_TOKENS;

        /** The kind of the key's limits this provider limit is compared with. */
        public LimitKind counts() {
            return this == REQUESTS ? LimitKind.REQUESTS : LimitKind.TOKENS;
        }

        /** Whether the provider's limit of this kind is the same quantity as a key limit (not a part of its tokens). */
        public boolean whole() {
            return this == REQUESTS || this == TOKENS;
        }
    }

    public ReportedLimit {
        Objects.requireNonNull(kind, "kind");
    }
}
