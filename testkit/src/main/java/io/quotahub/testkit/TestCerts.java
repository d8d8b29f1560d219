package io.quotahub.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway CA with a server certificate (for 127.0.0.1 and localhost) and a client certificate,
 * as PEM files with PKCS#8 keys, made by the {@code openssl} command (EC P-256: fast to generate).
 * For tests of TLS and mutual TLS against real nats-servers; valid for two days.
 *
 * <pre>{@code
 * TestCerts certs = TestCerts.create(tempDir);
 * NatsServer.builder().tls(certs, true).start();
 * }</pre>
 */
public final class TestCerts {

    private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;

    private TestCerts(Path dir) {
        this.dir = dir;
    }

    /** Makes a CA, a server and a client certificate in {@code dir} (created if missing). */
    public static TestCerts create(Path dir) {
        try {
            Files.createDirectories(dir);
            TestCerts certs = new TestCerts(dir);
            certs.makeCa();
            certs.makeSigned("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
            certs.makeSigned("client", "extendedKeyUsage=clientAuth\n");
            return certs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    public Path serverCert() {
        return dir.resolve("server.pem");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    public Path clientCert() {
        return dir.resolve("client.pem");
    }

    public Path clientKey() {
        return dir.resolve("client.key");
    }

    private void makeCa() {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
        openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=quotahub-test-ca", "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", "ca.pem");
    }

    private void makeSigned(String name, String extensions) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"), extensions);
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=quotahub-test-" + name, "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem");
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(OPENSSL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl did not finish: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("openssl failed (" + p.exitValue() + "): " + command + "\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (install the Debian package openssl)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
