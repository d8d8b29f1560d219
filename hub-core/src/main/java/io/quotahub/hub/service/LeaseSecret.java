package io.quotahub.hub.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The proof of holding a lease: 128 random bits (base64url, no padding) handed to the agent with
 * its grant and presented with its settle and heartbeats. The hub keeps only the SHA-256 digest
 * ({@link #digest()}, in the ledger's Grant and the engine's Lease), so neither a ledger nor a
 * snapshot can settle a lease. {@link #toString()} never shows the value; only the grant's reply
 * calls {@link #reveal()}.
 */
public final class LeaseSecret {

    private static final int BYTES = 16;
    /** Longest text a presented secret can sensibly have; anything longer is wrong without hashing. */
    static final int MAX_TEXT_LENGTH = 64;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    });

    private final String value;
    private final String digest;

    private LeaseSecret(String value) {
        this.value = value;
        this.digest = digestOf(value);
    }

    /** A new secret from the platform's strong random source. */
    public static LeaseSecret issue() {
        byte[] bits = new byte[BYTES];
        RANDOM.nextBytes(bits);
        return new LeaseSecret(BASE64URL.encodeToString(bits));
    }

    public String reveal() {
        return value;
    }

    /** SHA-256 of the secret, base64url without padding: what the ledger and the engine keep. */
    public String digest() {
        return digest;
    }

    /** SHA-256 of {@code secret}'s UTF-8 bytes, base64url without padding. */
    public static String digestOf(String secret) {
        MessageDigest sha = SHA256.get();
        sha.reset();
        return BASE64URL.encodeToString(sha.digest(secret.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Whether {@code presented} is the secret whose digest is {@code digest}. The digests are
     * compared in constant time, so the answer's timing tells nothing about how close a guess was.
     * False for a missing, blank or absurdly long secret and for an empty digest.
     */
    public static boolean matches(String presented, String digest) {
        if (presented == null || presented.isEmpty() || presented.length() > MAX_TEXT_LENGTH
                || digest == null || digest.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(digestOf(presented).getBytes(StandardCharsets.US_ASCII),
                digest.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "LeaseSecret[hidden]";
    }
}
