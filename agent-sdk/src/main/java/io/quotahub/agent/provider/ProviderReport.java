package io.quotahub.agent.provider;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a provider said about the key in one answer, sent to the hub with the settle: the limits it
 * described and the name of the limit that refused. Never holds text of the answer's body (a
 * provider's message may echo part of the key): the quota id must look like an identifier.
 *
 * @param quotaId the provider's name of the limit that refused, e.g. Gemini's {@code QuotaFailure}
 *                {@code quotaId}
 * @param limits  the limits described, in the order of {@link LimitKind}
 */
public record ProviderReport(Optional<String> quotaId, List<ProviderLimit> limits) {

    /** A report that says nothing. */
    public static final ProviderReport EMPTY = new ProviderReport(Optional.empty(), List.of());

    /** Longest quota id kept (hubs bound every text field of a request). */
    public static final int MAX_QUOTA_ID_LENGTH = 128;
    private static final Pattern QUOTA_ID = Pattern.compile("[A-Za-z0-9._:/-]{1," + MAX_QUOTA_ID_LENGTH + "}");

    /**
     * Validates and copies.
     *
     * @throws NullPointerException     if an argument or a limit is null
     * @throws IllegalArgumentException if {@code quotaId} is not 1 to 128 characters of letters,
     *                                  digits and {@code . _ : / -}
     */
    public ProviderReport {
        Objects.requireNonNull(quotaId, "quotaId");
        limits = List.copyOf(limits);
        if (quotaId.isPresent() && !isQuotaId(quotaId.get())) {
            throw new IllegalArgumentException("quotaId must be 1-" + MAX_QUOTA_ID_LENGTH
                    + " characters of letters, digits and . _ : / - (an identifier, never a provider's message)");
        }
    }

    /**
     * Whether {@code text} may be a report's quota id.
     *
     * @param text a candidate, may be null
     * @return true if it is 1 to 128 characters of letters, digits and {@code . _ : / -}
     */
    public static boolean isQuotaId(String text) {
        return text != null && QUOTA_ID.matcher(text).matches();
    }

    /**
     * A report of these limits without a quota id.
     *
     * @param limits the limits
     * @return the report
     * @throws NullPointerException if a limit is null
     */
    public static ProviderReport of(ProviderLimit... limits) {
        return new ProviderReport(Optional.empty(), List.of(limits));
    }

    /**
     * Whether the report says nothing.
     *
     * @return true without limits and quota id
     */
    public boolean isEmpty() {
        return quotaId.isEmpty() && limits.isEmpty();
    }
}
