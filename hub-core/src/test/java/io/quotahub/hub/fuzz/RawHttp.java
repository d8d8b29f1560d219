package io.quotahub.hub.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over one socket, written by hand, for requests no HTTP client sends as they are (and
 * to see exactly what comes back on the same connection).
 */
final class RawHttp implements AutoCloseable {

    record Response(String version, int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
        }

        /**
         * Whether the answer says the connection ends after it: {@code Connection: close}, or an
         * HTTP/1.0 answer without {@code Connection: keep-alive} (RFC 9112, section 9.3).
         */
        boolean announcesClose() {
            String connection = header("connection");
            return connection.equalsIgnoreCase("close")
                    || "HTTP/1.0".equals(version) && !connection.equalsIgnoreCase("keep-alive");
        }

        @Override
        public String toString() {
            return version + " " + status + " " + headers + " " + (body.length() > 200 ? body.substring(0, 200) + "…" : body);
        }
    }

    private final Socket socket = new Socket();
    private final InputStream in;

    RawHttp(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout((int) FuzzHub.REPLY_TIMEOUT.toMillis());
        in = socket.getInputStream();
    }

    Response post(String path, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n";
        try {
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
        } catch (IOException closedWhileSending) {
            // a server may answer and close before it read all of a request it refuses: read the answer
        }
        return read();
    }

    private Response read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("the server closed the connection without an answer");
        }
        Map<String, String> headers = new TreeMap<>();
        for (String line = line(); line != null && !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        String[] parts = statusLine.split(" ");
        return new Response(parts[0], Integer.parseInt(parts[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    /** One CRLF-terminated line, or null at the end of the stream. */
    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
