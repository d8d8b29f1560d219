package io.quotahub.hub.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * One change to the bytes of a serialized protobuf message. Positions are taken modulo the
 * length of what they are applied to, so a mutation applies to any message and shrinks toward
 * position 0 and the smallest change.
 */
sealed interface Mutation {

    byte[] apply(byte[] in);

    /** XORs one byte with a non-zero mask. */
    record FlipByte(int at, int mask) implements Mutation {
        public byte[] apply(byte[] in) {
            if (in.length == 0) {
                return in;
            }
            byte[] out = in.clone();
            out[at % in.length] ^= (byte) mask;
            return out;
        }
    }

    /** Keeps only the first {@code keep} bytes (modulo length + 1). */
    record Truncate(int keep) implements Mutation {
        public byte[] apply(byte[] in) {
            return Arrays.copyOf(in, keep % (in.length + 1));
        }
    }

    record Insert(int at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in) {
            int p = at % (in.length + 1);
            byte[] out = new byte[in.length + bytes.length];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(bytes, 0, out, p, bytes.length);
            System.arraycopy(in, p, out, p + bytes.length, in.length - p);
            return out;
        }

        @Override
        public String toString() {
            return "Insert[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]";
        }
    }

    record Delete(int at, int count) implements Mutation {
        public byte[] apply(byte[] in) {
            if (in.length == 0) {
                return in;
            }
            int p = at % in.length;
            int n = Math.min(count, in.length - p);
            byte[] out = new byte[in.length - n];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(in, p + n, out, p, in.length - p - n);
            return out;
        }
    }

    /** The message twice: protobuf merges them (last scalar wins, repeated fields add up). */
    record Repeat(int times) implements Mutation {
        public byte[] apply(byte[] in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < times; i++) {
                out.writeBytes(in);
            }
            return out.toByteArray();
        }
    }

    /** Appends one field in a shape a careless or hostile encoder would write. */
    record AppendField(int fieldNumber, FieldShape shape) implements Mutation {
        public byte[] apply(byte[] in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(in);
            out.writeBytes(shape.encode(fieldNumber));
            return out.toByteArray();
        }
    }

    /** Field encodings at and beyond the edges of the wire format. */
    enum FieldShape {
        /** Ten-byte varint: -1 as int64, Long.MAX_VALUE-ish as a count. */
        MAX_VARINT(0, varintBytes(-1L)),
        /** Long.MAX_VALUE. */
        LONG_MAX(0, varintBytes(Long.MAX_VALUE)),
        /** Long.MIN_VALUE. */
        LONG_MIN(0, varintBytes(Long.MIN_VALUE)),
        /** Eleven continuation bytes: no varint is that long. */
        OVERLONG_VARINT(0, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x01}),
        /** A varint cut off mid-way. */
        UNFINISHED_VARINT(0, new byte[] {(byte) 0x80, (byte) 0x80}),
        /** A length prefix pointing past the end. */
        LENGTH_BEYOND_END(2, concat(varintBytes(1000), new byte[] {1, 2, 3})),
        /** A length prefix of 2^31 - 1. */
        HUGE_LENGTH(2, varintBytes(Integer.MAX_VALUE)),
        /** A negative length prefix. */
        NEGATIVE_LENGTH(2, varintBytes(-5L)),
        /** A string of bytes that are not UTF-8. */
        INVALID_UTF8(2, concat(varintBytes(4), new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE})),
        EMPTY_BYTES(2, varintBytes(0)),
        /** Start of a group that never ends. */
        OPEN_GROUP(3, new byte[0]),
        /** End of a group that never started. */
        STRAY_GROUP_END(4, new byte[0]),
        /** Wire types 6 and 7 do not exist. */
        WIRE_TYPE_6(6, new byte[] {0}),
        WIRE_TYPE_7(7, new byte[] {0}),
        FIXED64_ONES(1, new byte[] {-1, -1, -1, -1, -1, -1, -1, 127}),
        FIXED32_CUT(5, new byte[] {1, 2});

        private final int wireType;
        private final byte[] payload;

        FieldShape(int wireType, byte[] payload) {
            this.wireType = wireType;
            this.payload = payload;
        }

        byte[] encode(int fieldNumber) {
            return concat(varintBytes(((long) fieldNumber << 3) | wireType), payload);
        }
    }

    static byte[] varintBytes(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static Arbitrary<Mutation> any() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, 4096);
        Arbitrary<Integer> fieldNumber = Arbitraries.oneOf(Arbitraries.integers().between(0, 10),
                Arbitraries.of(15, 16, 1000, 536_870_911));
        return Arbitraries.frequencyOf(
                weighted(5, Combinators.combine(position, Arbitraries.integers().between(1, 255)).as(FlipByte::new)),
                weighted(2, position.map(Truncate::new)),
                weighted(2, Combinators.combine(position, Arbitraries.bytes().array(byte[].class).ofMaxSize(16)).as(Insert::new)),
                weighted(2, Combinators.combine(position, Arbitraries.integers().between(1, 8)).as(Delete::new)),
                weighted(1, Arbitraries.integers().between(2, 3).map(Repeat::new)),
                weighted(3, Combinators.combine(fieldNumber, Arbitraries.of(FieldShape.class)).as(AppendField::new)));
    }

    private static Tuple.Tuple2<Integer, Arbitrary<? extends Mutation>> weighted(int weight, Arbitrary<? extends Mutation> a) {
        return Tuple.of(weight, a);
    }
}
