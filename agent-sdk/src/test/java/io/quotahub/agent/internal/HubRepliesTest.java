package io.quotahub.agent.internal;

import com.google.protobuf.CodedOutputStream;
import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Refused;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class HubRepliesTest {

    @Test
    void aRefusalCode_isTheExceptionsCode_byName() {
        Refused refused = Refused.newBuilder().setRefusalCode(Refused.Code.CIRCUIT_OPEN).setReason("open")
                .setRetryAfterMs(300).setKeyId("k1").setLimit("requests 2/PT1M").build();

        QuotaExhaustedException e = HubReplies.exhausted(refused, "demo");

        assertThat(e.code()).isEqualTo("CIRCUIT_OPEN");
        assertThat(e.pool()).isEqualTo("demo");
        assertThat(e.keyId()).isEqualTo("k1");
        assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void anErrorCode_isTheExceptionsCode_byName() {
        assertThat(HubReplies.rejected(HubReplies.code(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.UNKNOWN_POOL)
                .build()), "no such pool").code()).isEqualTo("UNKNOWN_POOL");
    }

    @Test
    void aReplyWithoutACode_readsAsTheSafeMeaningOfItsKind() {
        assertThat(HubReplies.code(Refused.getDefaultInstance())).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(HubReplies.code(ErrorReply.getDefaultInstance())).isEqualTo(ErrorReply.Code.INTERNAL);
    }

    @Test
    void aCodeNewerThanThisSdk_readsAsTheSafeMeaningOfItsKind() {
        assertThat(HubReplies.code(Refused.newBuilder().setRefusalCodeValue(999).build()))
                .isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(HubReplies.code(ErrorReply.newBuilder().setErrorCodeValue(999).build()))
                .isEqualTo(ErrorReply.Code.INTERNAL);
    }

    @Test
    void aHubThatSentCodesAsText_isReadAsNoCode_notAsGarbage() throws IOException {
        // field 1 was "string code" before the enums; it is reserved now
        Refused refused = Refused.parseFrom(withTextCode("OVERLOADED", 2, "overloaded"));
        ErrorReply error = ErrorReply.parseFrom(withTextCode("FENCED", 2, "fenced"));

        assertThat(HubReplies.code(refused)).isEqualTo(Refused.Code.QUOTA_EXHAUSTED);
        assertThat(refused.getReason()).isEqualTo("overloaded");
        assertThat(HubReplies.code(error)).isEqualTo(ErrorReply.Code.INTERNAL);
        assertThat(error.getMessage()).isEqualTo("fenced");
    }

    @Test
    void onlyAnOverloadedRefusal_isTheOverloadSignal() {
        AcquireReply overloaded = AcquireReply.newBuilder()
                .setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.OVERLOADED)).build();
        AcquireReply exhausted = AcquireReply.newBuilder()
                .setRefused(Refused.newBuilder().setRefusalCode(Refused.Code.QUOTA_EXHAUSTED)).build();
        AcquireReply unavailable = AcquireReply.newBuilder()
                .setError(ErrorReply.newBuilder().setErrorCode(ErrorReply.Code.UNAVAILABLE)).build();

        assertThat(HubReplies.overloaded(overloaded)).isTrue();
        assertThat(HubReplies.overloaded(exhausted)).isFalse();
        assertThat(HubReplies.overloaded(unavailable)).isFalse();
    }

    /** A message as an old hub wrote it: {@code code} as text in field 1, {@code text} in field {@code textField}. */
    private static byte[] withTextCode(String code, int textField, String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeString(1, code);
        out.writeString(textField, text);
        out.flush();
        return bytes.toByteArray();
    }
}
