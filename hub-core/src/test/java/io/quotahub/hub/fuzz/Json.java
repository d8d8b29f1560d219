package io.quotahub.hub.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * A JSON text as a tree that shrinks: numbers are kept as literals (so {@code 1e400} and
 * {@code 9223372036854775808} reach the hub as written), objects keep their members in order, and
 * nesting deeper than any parser allows is written without building it.
 */
sealed interface Json {

    void write(StringBuilder out);

    default String text() {
        StringBuilder out = new StringBuilder();
        write(out);
        return out.toString();
    }

    record Null() implements Json {
        public void write(StringBuilder out) {
            out.append("null");
        }
    }

    record Bool(boolean value) implements Json {
        public void write(StringBuilder out) {
            out.append(value);
        }
    }

    record Num(String literal) implements Json {
        public void write(StringBuilder out) {
            out.append(literal);
        }

        /** The value, if the literal is a number at all (a literal may also be any raw JSON, such as {@code "12"} or {@code []}). */
        Optional<BigDecimal> value() {
            String text = literal.length() >= 2 && literal.startsWith("\"") && literal.endsWith("\"")
                    ? literal.substring(1, literal.length() - 1).trim() : literal; // a number written as a JSON string
            try {
                return Optional.of(new BigDecimal(text));
            } catch (NumberFormatException | ArithmeticException e) {
                return Optional.empty();
            }
        }
    }

    record Str(String value) implements Json {
        public void write(StringBuilder out) {
            out.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        @Override
        public String toString() {
            return value.length() <= 60 ? "Str[" + value + "]" : "Str[" + value.substring(0, 40) + "… (" + value.length() + " chars)]";
        }
    }

    record Arr(List<Json> items) implements Json {
        public void write(StringBuilder out) {
            out.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                items.get(i).write(out);
            }
            out.append(']');
        }
    }

    record Member(String name, Json value) {
    }

    record Obj(List<Member> members) implements Json {
        public void write(StringBuilder out) {
            out.append('{');
            for (int i = 0; i < members.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                new Str(members.get(i).name()).write(out);
                out.append(':');
                members.get(i).value().write(out);
            }
            out.append('}');
        }
    }

    /** Arrays or objects nested {@code depth} deep. */
    record Deep(int depth, boolean objects) implements Json {
        public void write(StringBuilder out) {
            for (int i = 0; i < depth; i++) {
                out.append(objects ? "{\"a\":" : "[");
            }
            out.append('1');
            for (int i = 0; i < depth; i++) {
                out.append(objects ? '}' : ']');
            }
        }
    }

    // ---- generators

    static Arbitrary<Json> numbers() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("0", "-0", "1", "-1", "10", "1.5", "-1.5", "1e3", "1E2", "0.0", "2e-3",
                        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                        "123456789012345678901234567890", "1e400", "-1e400", "4e8", "400000000", "400000001",
                        "100000000", "100000001", "315360000000", "00012", "+5", ".5", "5.", "0x10", "NaN", "Infinity", "-",
                        "1".repeat(5_000)).map(Num::new)),
                Tuple.of(2, Arbitraries.longs().map(l -> new Num(Long.toString(l)))),
                Tuple.of(1, Arbitraries.doubles().map(d -> new Num(Double.toString(d)))));
    }

    static Arbitrary<String> strings() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.strings().all().ofMaxLength(24)),
                Tuple.of(2, Arbitraries.strings().alpha().numeric().withChars("-_.").ofMaxLength(24)),
                Tuple.of(2, Arbitraries.of("", " ", "\t", "\u0000", "null", "NORMAL", " high ", "URGENT", "OK", "rate_limited",
                        "EXPIRED", "😀🔥", "\uD800", "../../etc/passwd", "<script>", "' OR 1=1 --", "%s%n", "a".repeat(129),
                        "é".repeat(65))),
                Tuple.of(1, Arbitraries.of(1_000, 70_000, 300_000).map("x"::repeat)));
    }

    static Arbitrary<Json> scalars() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(new Null())),
                Tuple.of(1, Arbitraries.of(true, false).map(Bool::new)),
                Tuple.of(3, numbers()),
                Tuple.of(3, strings().map(Str::new)));
    }

    /** Any JSON value up to a few levels deep, now and then nested beyond any parser's limit. */
    static Arbitrary<Json> values() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, scalars()),
                Tuple.of(2, Arbitraries.lazy(Json::values).list().ofMaxSize(4).map(Arr::new)),
                Tuple.of(2, members(Arbitraries.lazy(Json::values)).map(Obj::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.of(64, 1_001, 5_000, 100_000), Arbitraries.of(false, true)).as(Deep::new)));
    }

    static Arbitrary<List<Member>> members(Arbitrary<Json> values) {
        return Combinators.combine(strings(), values).as(Member::new).list().ofMaxSize(4);
    }

    /**
     * An object with some of {@code fields} (each with a value of the field's own kind or any
     * other) and maybe members of other names.
     */
    static Arbitrary<Json> objectOf(List<Field> fields) {
        List<Arbitrary<List<Member>>> parts = fields.stream().map(f -> Arbitraries.frequencyOf(
                Tuple.of(3, f.values().map(v -> List.of(new Member(f.name(), v)))),
                Tuple.of(1, values().map(v -> List.of(new Member(f.name(), v)))),
                Tuple.of(1, Arbitraries.just(List.<Member>of())))).toList();
        Arbitrary<List<Member>> extra = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(List.<Member>of())),
                Tuple.of(1, members(values())));
        return Combinators.combine(Combinators.combine(parts).as(lists -> lists.stream().flatMap(List::stream).toList()), extra)
                .as((known, other) -> {
                    List<Member> all = new java.util.ArrayList<>(known);
                    all.addAll(other);
                    return new Obj(all);
                });
    }

    /** A member name and the values worth trying for it. */
    record Field(String name, Arbitrary<Json> values) {
    }
}
