package io.quotahub.agent.internal;

/** Masking of secrets for logs, messages and {@code toString()}. */
public final class Secrets {

    private static final int MIN_LENGTH_TO_SHOW_TAIL = 12;

    private Secrets() {
    }

    /**
     * A secret as it may be shown: {@code …abcd} (last four characters) for keys of 12 characters
     * or more, {@code …} for shorter ones (their tail would give away too much).
     *
     * @param secret the secret, may be null
     * @return the masked form
     */
    public static String mask(String secret) {
        if (secret == null || secret.length() < MIN_LENGTH_TO_SHOW_TAIL) {
            return "…";
        }
        return "…" + secret.substring(secret.length() - 4);
    }

    /**
     * Replaces every occurrence of {@code secret} in {@code text} by its mask.
     *
     * @param text   free text, may be null
     * @param secret the secret, may be null or empty
     * @return the scrubbed text (empty for null)
     */
    public static String scrub(String text, String secret) {
        if (text == null) {
            return "";
        }
        if (secret == null || secret.isEmpty()) {
            return text;
        }
        return text.replace(secret, mask(secret));
    }

    /**
     * Replaces every occurrence of {@code secret} in {@code text} by {@code …}, showing none of it
     * (for lease secrets, whose tail is part of the proof).
     *
     * @param text   free text, may be null
     * @param secret the secret, may be null or empty
     * @return the redacted text (empty for null)
     */
    public static String redact(String text, String secret) {
        if (text == null) {
            return "";
        }
        if (secret == null || secret.isEmpty()) {
            return text;
        }
        return text.replace(secret, "…");
    }
}
