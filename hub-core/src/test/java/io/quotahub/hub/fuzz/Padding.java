package io.quotahub.hub.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;

/**
 * Makes a message exactly {@code n} bytes long with a field the schema does not know (a reader
 * skips it): a well-formed message of any size, to test the hub's bound on message size.
 */
final class Padding {

    private static final int FIELD = 1000;

    private Padding() {
    }

    static byte[] padTo(Message.Builder message, int total) {
        int base = message.clone().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build().getSerializedSize();
        int tag = CodedOutputStream.computeTagSize(FIELD);
        for (int fill = Math.max(0, total - base - tag - 5); fill <= total; fill++) {
            if (base + tag + CodedOutputStream.computeUInt32SizeNoTag(fill) + fill == total) {
                byte[] bytes = message.setUnknownFields(UnknownFieldSet.newBuilder().addField(FIELD,
                        UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFrom(new byte[fill])).build()).build())
                        .build().toByteArray();
                if (bytes.length != total) {
                    throw new IllegalStateException("padded to " + bytes.length + " bytes, not " + total);
                }
                return bytes;
            }
        }
        throw new IllegalArgumentException("cannot pad a message of " + base + " bytes to exactly " + total);
    }
}
