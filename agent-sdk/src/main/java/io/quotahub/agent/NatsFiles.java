package io.quotahub.agent;

import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Nats;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads NATS credentials and TLS material from files, for {@link QuotaClient.Builder} and for the
 * hub, so that agents and hubs accept the same files. Secrets are read from files only, never
 * from arguments or the environment, and no message of this class ever holds a file's content:
 * a bad file is named with what is wrong with it.
 *
 * <p>File formats:
 * <ul>
 *   <li>credentials: a {@code .creds} file as {@code nsc} writes it (user JWT + nkey seed), or a
 *       file holding only a user nkey seed ({@code SU…}, e.g. from {@code nk -gen user});</li>
 *   <li>user/password: one line {@code user:password} (the user holds no {@code :}; the password
 *       is everything after the first {@code :}); a trailing newline is fine, other lines are not;</li>
 *   <li>TLS: PEM files: CA certificates (one or more), the client certificate (chain), and its
 *       unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}; convert others with
 *       {@code openssl pkcs8 -topk8 -nocrypt}), RSA or EC.</li>
 * </ul>
 */
public final class NatsFiles {

    /** Longest accepted inbox prefix: the agent's inboxes are this plus ≈ 45 characters. */
    public static final int MAX_INBOX_PREFIX_LENGTH = 128;
    private static final Pattern INBOX_PREFIX = Pattern.compile("[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*");
    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
    /** Cap on what is read from one file: every real file here is a few KiB. */
    private static final long MAX_FILE_BYTES = 1 << 20;

    private NatsFiles() {
    }

    /**
     * A NATS authentication handler for a {@code .creds} file or an nkey seed file. The file is
     * read again at each (re)connect, so a rotated file is used without a restart.
     *
     * @param file the credentials file
     * @return the handler, for jnats {@code Options.Builder.authHandler}
     * @throws IllegalArgumentException if {@code file} is null, unreadable, or holds neither a
     *                                  user JWT with its seed nor a user nkey seed
     */
    public static AuthHandler credentials(Path file) {
        String text = read(file, "credentials file");
        if (text.contains("-----BEGIN NATS USER JWT-----")) {
            AuthHandler creds = Nats.credentials(file.toString()); // jnats' own handler, reads the file at each connect
            boolean complete;
            try { // read both now: a bad file fails at start, not at every connect
                char[] jwt = creds.getJWT();
                char[] id = creds.getID();
                complete = jwt != null && jwt.length > 0 && id != null && id.length > 0;
            } catch (RuntimeException e) {
                complete = false;
            }
            if (!complete) {
                throw new IllegalArgumentException(file + ": not a valid .creds file (a user JWT and its nkey seed)");
            }
            return creds;
        }
        SeedFileAuthHandler seed = new SeedFileAuthHandler(file);
        seed.getID(); // validates now: a bad seed fails at start, not at every connect
        return seed;
    }

    /**
     * Reads a user/password file: one line {@code user:password}.
     *
     * @param file the file
     * @return the user and password
     * @throws IllegalArgumentException if {@code file} is null or unreadable, has more than one
     *                                  line, lacks the {@code :}, or the user or password is empty
     *                                  (the message never holds the password)
     */
    public static UserPassword userPassword(Path file) {
        String text = read(file, "user/password file");
        String line = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(file + ": must hold one line user:password, found several lines");
        }
        int colon = line.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(file + ": must hold one line user:password, found no ':'");
        }
        String user = line.substring(0, colon);
        if (user.isBlank() || !user.equals(user.strip())) {
            throw new IllegalArgumentException(file + ": the user (before ':') is empty or has surrounding spaces");
        }
        if (colon == line.length() - 1) {
            throw new IllegalArgumentException(file + ": the password (after ':') of user " + user + " is empty");
        }
        return new UserPassword(user, line.substring(colon + 1).toCharArray());
    }

    /**
     * A TLS context that trusts the CA certificates of a PEM file (and nothing else).
     *
     * @param caFile PEM file with one or more CA certificates
     * @return the context
     * @throws IllegalArgumentException if the file is null, unreadable or holds no certificate
     */
    public static SSLContext sslContext(Path caFile) {
        if (caFile == null) {
            throw new IllegalArgumentException("caFile must not be null");
        }
        return sslContext(caFile, null, null);
    }

    /**
     * A TLS context for mutual TLS: trusts the CA certificates of {@code caFile} (or the JDK's
     * default trust store when it is null) and presents the client certificate of
     * {@code certFile} with the key of {@code keyFile}.
     *
     * @param caFile   PEM file with the CA certificates to trust, or null for the JDK's defaults
     * @param certFile PEM file with the client certificate (chain), or null for no client certificate
     * @param keyFile  PEM file with its unencrypted PKCS#8 private key; null exactly when {@code certFile} is
     * @return the context
     * @throws IllegalArgumentException if only one of {@code certFile} and {@code keyFile} is set, a
     *                                  file is unreadable or holds no certificate, or the key is not
     *                                  an unencrypted PKCS#8 RSA or EC key
     */
    public static SSLContext sslContext(Path caFile, Path certFile, Path keyFile) {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a client certificate needs both certFile and keyFile, got only "
                    + (certFile == null ? "keyFile" : "certFile"));
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = emptyKeyStore();
                List<Certificate> cas = certificates(caFile);
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, cas.get(i));
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                List<Certificate> chain = certificates(certFile);
                PrivateKey key = privateKey(keyFile);
                char[] storePassword = new char[0]; // in memory only, never written anywhere
                KeyStore keys = emptyKeyStore();
                keys.setKeyEntry("client", key, storePassword, chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, storePassword);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot build a TLS context from " + caFile + ", " + certFile
                    + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Checks an inbox prefix for jnats {@code Options.Builder.inboxPrefix}: dot-separated tokens
     * of letters, digits, {@code _ $ -} (no wildcards, no spaces), at most
     * {@link #MAX_INBOX_PREFIX_LENGTH} characters; one trailing dot is dropped.
     *
     * @param prefix the prefix, e.g. {@code _INBOX_summarizer-1}
     * @return the prefix without a trailing dot
     * @throws IllegalArgumentException if it is null or not such a token sequence
     */
    public static String inboxPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("inboxPrefix must not be null");
        }
        String p = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
        if (p.length() > MAX_INBOX_PREFIX_LENGTH || !INBOX_PREFIX.matcher(p).matches()) {
            throw new IllegalArgumentException("inboxPrefix must be dot-separated NATS subject tokens of letters, digits,"
                    + " '_', '$' or '-' (no wildcards or spaces), at most " + MAX_INBOX_PREFIX_LENGTH
                    + " characters, was '" + prefix + "'");
        }
        return p;
    }

    private static String read(Path file, String what) {
        if (file == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": " + what + " does not exist or is not a regular file");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IllegalArgumentException(file + ": " + what + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.isBlank()) {
                throw new IllegalArgumentException(file + ": " + what + " is empty");
            }
            return text;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the " + what + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The first line that is a user nkey seed ({@code SU…}), also inside nsc's seed block. */
    private static NKey seedIn(String text, Path file) {
        for (String line : text.split("\\R")) {
            String s = line.strip();
            if (s.startsWith("SU")) {
                try {
                    return NKey.fromSeed(s.toCharArray());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + ": holds a malformed user nkey seed");
                }
            }
        }
        throw new IllegalArgumentException(file + ": is neither a .creds file nor a user nkey seed file (SU…)");
    }

    private static List<Certificate> certificates(Path file) throws GeneralSecurityException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<Certificate> certs = new ArrayList<>();
        var m = PEM_BLOCK.matcher(read(file, "certificate file"));
        while (m.find()) {
            if (m.group(1).equals("CERTIFICATE")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                certs.add(x509.generateCertificate(new ByteArrayInputStream(der)));
            }
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(file + ": holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    private static PrivateKey privateKey(Path file) {
        var m = PEM_BLOCK.matcher(read(file, "key file"));
        while (m.find()) {
            String type = m.group(1);
            if (!type.equals("PRIVATE KEY")) {
                if (type.endsWith("PRIVATE KEY")) {
                    throw new IllegalArgumentException(file + ": holds a " + type + "; an unencrypted PKCS#8 key"
                            + " (BEGIN PRIVATE KEY) is needed: convert it with openssl pkcs8 -topk8 -nocrypt");
                }
                continue;
            }
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            try {
                for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException notThisOne) {
                        // try the next algorithm
                    }
                }
            } finally {
                Arrays.fill(der, (byte) 0);
            }
            throw new IllegalArgumentException(file + ": the PKCS#8 key is not an RSA, EC or Ed25519 key");
        }
        throw new IllegalArgumentException(file + ": holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static KeyStore emptyKeyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    /**
     * A user and password read from a file. {@link #toString()} shows the user only.
     */
    public static final class UserPassword {
        private final String user;
        private final char[] password;

        private UserPassword(String user, char[] password) {
            this.user = user;
            this.password = password;
        }

        /**
         * The user name.
         *
         * @return the user
         */
        public String user() {
            return user;
        }

        /**
         * A copy of the password (the caller may clear it after use).
         *
         * @return the password
         */
        public char[] password() {
            return password.clone();
        }

        @Override
        public String toString() {
            return "UserPassword[user=" + user + ", password=…]";
        }
    }

    /** nkey authentication from a seed file, read again at each connect (as jnats' own creds handler does). */
    private static final class SeedFileAuthHandler implements AuthHandler {
        private final Path file;

        SeedFileAuthHandler(Path file) {
            this.file = file;
        }

        @Override
        public byte[] sign(byte[] nonce) {
            NKey key = seedIn(read(file, "credentials file"), file);
            try {
                return key.sign(nonce);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(file + ": cannot sign the server's nonce with the nkey seed");
            } finally {
                key.clear();
            }
        }

        @Override
        public char[] getID() {
            NKey key = seedIn(read(file, "credentials file"), file);
            try {
                return key.getPublicKey();
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                throw new IllegalArgumentException(file + ": holds a malformed user nkey seed");
            } finally {
                key.clear();
            }
        }

        @Override
        public char[] getJWT() {
            return null; // a bare nkey user: the server knows its public key
        }

        @Override
        public String toString() {
            return "nkey seed file " + file;
        }
    }
}
