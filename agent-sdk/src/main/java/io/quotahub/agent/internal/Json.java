package io.quotahub.agent.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small, bounded JSON reader for provider answers: the adapters need a few fields of a body
 * (usage counts, Gemini's error details), not a data binding. The SDK depends on jnats and
 * protobuf only, and protobuf's JSON support lives in protobuf-java-util, which it does not ship;
 * this keeps it that way.
 *
 * <p>Bounded against hostile or broken bodies: at most {@link #MAX_CHARS} characters and
 * {@link #MAX_DEPTH} levels of nesting; anything malformed or beyond the bounds reads as "no JSON"
 * ({@link Optional#empty()}), never as an exception. Objects become {@code Map<String, Object>}
 * (insertion order, the last of duplicate names wins), arrays {@code List<Object>}, numbers
 * {@link BigDecimal}, strings {@code String}, booleans {@code Boolean}, {@code null} {@link #NULL}.
 */
public final class Json {

    /** Bodies longer than this are not parsed (8 Mi characters: a long completion fits). */
    public static final int MAX_CHARS = 8 * 1024 * 1024;
    /** Deeper nesting than this is refused (provider bodies nest fewer than ten levels). */
    public static final int MAX_DEPTH = 64;
    /** The JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /**
     * Parses {@code text} as one JSON value.
     *
     * @param text the text, may be null
     * @return the value, or empty if {@code text} is null, not JSON or beyond the bounds
     */
    public static Optional<Object> parse(String text) {
        if (text == null || text.length() > MAX_CHARS) {
            return Optional.empty();
        }
        try {
            Json p = new Json(text);
            Object value = p.value(0);
            p.skipSpace();
            return p.pos == text.length() ? Optional.of(value) : Optional.empty();
        } catch (Malformed | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The value at {@code path} (object member names) below {@code root}.
     *
     * @param root a parsed value
     * @param path member names, outermost first
     * @return the value, or empty if a step is missing or not an object
     */
    public static Optional<Object> at(Object root, String... path) {
        Object current = root;
        for (String name : path) {
            if (!(current instanceof Map<?, ?> m) || !m.containsKey(name)) {
                return Optional.empty();
            }
            current = m.get(name);
        }
        return Optional.of(current);
    }

    /** The string at {@code path}, if it is one. */
    public static Optional<String> string(Object root, String... path) {
        return at(root, path).filter(String.class::isInstance).map(String.class::cast);
    }

    /** The number at {@code path}, if it is one. */
    public static Optional<BigDecimal> number(Object root, String... path) {
        return at(root, path).filter(BigDecimal.class::isInstance).map(BigDecimal.class::cast);
    }

    /** The elements of the array at {@code path}; empty if there is none. */
    public static List<Object> array(Object root, String... path) {
        Optional<Object> value = at(root, path);
        if (value.isPresent() && value.get() instanceof List<?> list) {
            return Collections.unmodifiableList(list);
        }
        return List.of();
    }

    // ---- the parser

    private static final class Malformed extends RuntimeException {
        Malformed() {
            super(null, null, false, false); // no stack trace, no message: nothing of the body
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw new Malformed();
        }
        skipSpace();
        if (pos >= text.length()) {
            throw new Malformed();
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> number();
        };
    }

    private Map<String, Object> object(int depth) {
        pos++; // {
        Map<String, Object> members = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return members;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw new Malformed();
            }
            String name = string();
            skipSpace();
            expect(':');
            members.put(name, value(depth + 1));
            skipSpace();
            char c = next();
            if (c == '}') {
                return members;
            }
            if (c != ',') {
                throw new Malformed();
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // [
        List<Object> elements = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return elements;
        }
        while (true) {
            elements.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') {
                return elements;
            }
            if (c != ',') {
                throw new Malformed();
            }
        }
    }

    private String string() {
        pos++; // "
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw new Malformed();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw new Malformed();
                    }
                    out.append((char) Integer.parseInt(text, pos, pos + 4, 16));
                    pos += 4;
                }
                default -> throw new Malformed();
            }
        }
    }

    private BigDecimal number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && "0123456789.eE+-".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        if (pos == digits || pos - start > 64) { // no digits, or a numeral no provider sends
            throw new Malformed();
        }
        return new BigDecimal(text.substring(start, pos));
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw new Malformed();
        }
        pos += word.length();
        return value;
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw new Malformed();
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) {
            throw new Malformed();
        }
    }
}
