package io.quotahub.agent.internal;

import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.agent.QuotaHubException;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.Refused;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.Subjects;

import java.time.Duration;

/**
 * How the SDK reads a hub's words: the codes of refusals and errors, and the exceptions they
 * become. A code is the proto enum's value; users see its name as {@link QuotaHubException#code()}.
 *
 * <p>A reply without a code (from a hub that sent codes as text, a field this SDK no longer reads)
 * or with a code newer than this SDK reads as the safe meaning of its kind: a refusal as
 * {@code QUOTA_EXHAUSTED} (wait and ask again), an error as {@code INTERNAL} (give up).
 */
final class HubReplies {

    private HubReplies() {
    }

    /** The refusal's code; {@code QUOTA_EXHAUSTED} when it carries none this SDK knows. */
    static Refused.Code code(Refused refused) {
        Refused.Code code = refused.getRefusalCode();
        return code == Refused.Code.CODE_UNSPECIFIED || code == Refused.Code.UNRECOGNIZED
                ? Refused.Code.QUOTA_EXHAUSTED : code;
    }

    /** A refusal code as read from a pool's refusal; {@code QUOTA_EXHAUSTED} when this SDK knows none. */
    static Refused.Code code(Refused.Code code) {
        return code == Refused.Code.CODE_UNSPECIFIED || code == Refused.Code.UNRECOGNIZED ? Refused.Code.QUOTA_EXHAUSTED : code;
    }

    /** The error's code; {@code INTERNAL} when it carries none this SDK knows. */
    static ErrorReply.Code code(ErrorReply error) {
        ErrorReply.Code code = error.getErrorCode();
        return code == ErrorReply.Code.CODE_UNSPECIFIED || code == ErrorReply.Code.UNRECOGNIZED
                ? ErrorReply.Code.INTERNAL : code;
    }

    /** Whether the hub shed the request ({@code OVERLOADED}): the client's signal to keep fewer outstanding. */
    /**
     * Whether {@code msg}, a reply on {@code route}, is a hub's error (e.g. {@code UNAVAILABLE} from
     * a hub that announced itself a moment before it serves); an unparsable reply counts as one.
     */
    static boolean isError(Route route, io.nats.client.Message msg) {
        try {
            return Subjects.ACQUIRE.equals(route.subject()) ? AcquireReply.parseFrom(msg.getData()).hasError()
                    : SettleReply.parseFrom(msg.getData()).hasError();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return true;
        }
    }

    static boolean overloaded(AcquireReply reply) {
        return reply.hasRefused() && code(reply.getRefused()) == Refused.Code.OVERLOADED;
    }

    /** The exception of an acquire whose wait ended on {@code refused}; {@code pool} when the hub named none. */
    static QuotaExhaustedException exhausted(Refused refused, String pool) {
        java.util.List<QuotaExhaustedException.PoolRefusal> tried = refused.getTriedList().stream()
                .map(t -> new QuotaExhaustedException.PoolRefusal(t.getPool(), code(t.getRefusalCode()).name(), t.getReason(),
                        Duration.ofMillis(Math.max(0, t.getRetryAfterMs())), t.getKeyId(), t.getLimit()))
                .toList();
        return new QuotaExhaustedException(code(refused).name(), refused.getReason(),
                Duration.ofMillis(Math.max(0, refused.getRetryAfterMs())),
                refused.getPool().isEmpty() ? pool : refused.getPool(), refused.getKeyId(), refused.getLimit(), tried);
    }

    /** The exception of a request the hub rejected with {@code code}. */
    static QuotaHubException rejected(ErrorReply.Code code, String message) {
        return new QuotaHubException(code.name(), message);
    }
}
