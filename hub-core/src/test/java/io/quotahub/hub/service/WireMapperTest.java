package io.quotahub.hub.service;

import io.quotahub.engine.Refusal;
import io.quotahub.engine.RefusalCode;
import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.ErrorReply;
import io.quotahub.proto.LimitKind;
import io.quotahub.proto.ProviderLimit;
import io.quotahub.proto.Refused;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire contract of codes: every refusal code of the engine and error code of the hub has a
 * proto value of the same name (the name is what the SDK and the HTTP API show), and maps back to
 * itself, so a code added on one side without the other fails here.
 */
class WireMapperTest {

    private final WireMapper wire = new WireMapper("main", InputBounds.ofDefaults());

    @ParameterizedTest
    @EnumSource(RefusalCode.class)
    void everyEngineRefusalCode_hasAWireValueOfItsName_andMapsBack(RefusalCode code) {
        assertThat(WireMapper.toWire(code).name()).isEqualTo(code.name());
        assertThat(WireMapper.fromWire(WireMapper.toWire(code))).isEqualTo(code);
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void everyHubErrorCode_hasAWireValueOfItsName_andMapsBack(ErrorCode code) {
        assertThat(WireMapper.toWire(code).name()).isEqualTo(code.name());
        assertThat(WireMapper.fromWire(WireMapper.toWire(code))).isEqualTo(code);
    }

    @ParameterizedTest
    @EnumSource(value = Refused.Code.class, names = {"CODE_UNSPECIFIED", "UNRECOGNIZED", "OVERLOADED"},
            mode = EnumSource.Mode.EXCLUDE)
    void everyWireRefusalValue_isAnEngineCodeOfItsName(Refused.Code code) {
        assertThat(WireMapper.fromWire(code)).isNotNull();
        assertThat(WireMapper.toWire(WireMapper.fromWire(code))).isEqualTo(code);
    }

    @ParameterizedTest
    @EnumSource(value = ErrorReply.Code.class, names = {"CODE_UNSPECIFIED", "UNRECOGNIZED"},
            mode = EnumSource.Mode.EXCLUDE)
    void everyWireErrorValue_isAHubCodeOfItsName(ErrorReply.Code code) {
        assertThat(WireMapper.fromWire(code)).isNotNull();
        assertThat(WireMapper.toWire(WireMapper.fromWire(code))).isEqualTo(code);
    }

    @Test
    void overloaded_isTheHubsOwnRefusal_withTheNameTheHttpApiShows() {
        assertThat(Refused.Code.OVERLOADED.name()).isEqualTo(AcquireOutcome.Overloaded.CODE);
        assertThat(WireMapper.fromWire(Refused.Code.OVERLOADED)).as("no engine code").isNull();
        assertThat(Refused.Code.CODE_UNSPECIFIED.getNumber()).isZero();
        assertThat(ErrorReply.Code.CODE_UNSPECIFIED.getNumber()).isZero();
    }

    @Test
    void aRefusal_travelsWithItsCode() {
        AcquireReply reply = wire.reply(request(), new AcquireOutcome.Refused(new Refusal(RefusalCode.COOLDOWN, "demo",
                "k1", null, Duration.ofMillis(1500), "key k1 cools down")));

        assertThat(reply.getRequestId()).isEqualTo("r1");
        assertThat(reply.getHubId()).isEqualTo("main");
        assertThat(reply.getRefused().getRefusalCode()).isEqualTo(Refused.Code.COOLDOWN);
        assertThat(reply.getRefused().getRetryAfterMs()).isEqualTo(1500);
        assertThat(reply.getRefused().getKeyId()).isEqualTo("k1");
        assertThat(reply.getRefused().getLimit()).isEmpty();
    }

    @Test
    void anOverloadedOutcome_isAnOverloadedRefusal() {
        AcquireReply reply = wire.reply(request(), new AcquireOutcome.Overloaded("demo", "full", Duration.ofMillis(100)));

        assertThat(reply.getRefused().getRefusalCode()).isEqualTo(Refused.Code.OVERLOADED);
        assertThat(reply.getRefused().getRetryAfterMs()).isEqualTo(100);
        assertThat(reply.getRefused().getPool()).isEqualTo("demo");
    }

    @Test
    void failures_travelWithTheirErrorCode() {
        AcquireReply acquire = wire.reply(request(), new AcquireOutcome.Failed(ErrorCode.FENCED, "fenced"));
        SettleReply settle = wire.reply(SettleRequest.newBuilder().setRequestId("s1").build(),
                new SettleOutcome.Failed(ErrorCode.UNKNOWN_LEASE, "unknown lease"));

        assertThat(acquire.getError().getErrorCode()).isEqualTo(ErrorReply.Code.FENCED);
        assertThat(settle.getError().getErrorCode()).isEqualTo(ErrorReply.Code.UNKNOWN_LEASE);
        assertThat(settle.getRequestId()).isEqualTo("s1");
    }

    @Test
    void aFieldAboveTheBound_isNotEchoed() {
        AcquireRequest huge = request().toBuilder().setRequestId("x".repeat(InputBounds.DEFAULT_MAX_FIELD_BYTES + 1)).build();

        assertThat(wire.acquireError(wire.echo("requestId", huge.getRequestId()), ErrorCode.BAD_REQUEST, "too long")
                .getRequestId()).isEmpty();
        assertThat(wire.reply(huge, new AcquireOutcome.Failed(ErrorCode.BAD_REQUEST, "too long")).getRequestId()).isEmpty();
    }

    @Test
    void aRequest_becomesACommandWithItsFields() {
        AcquireCommand cmd = wire.command(request().toBuilder().setPriority(io.quotahub.proto.Priority.HIGH).build(),
                "nats:alice");

        assertThat(cmd.requestId()).isEqualTo("r1");
        assertThat(cmd.agentId()).isEqualTo("a1");
        assertThat(cmd.pool()).isEqualTo("demo");
        assertThat(cmd.tokens()).isEqualTo(100);
        assertThat(cmd.priority()).isEqualTo(io.quotahub.engine.Priority.HIGH);
        assertThat(cmd.deadline().toEpochMilli()).isEqualTo(5_000);
        assertThat(cmd.principal()).isEqualTo("nats:alice");
    }

    @ParameterizedTest
    @EnumSource(io.quotahub.engine.Outcome.class)
    void everyEngineOutcome_hasAWireValueOfItsName_andMapsBack(io.quotahub.engine.Outcome outcome) {
        io.quotahub.proto.Outcome wireValue = io.quotahub.hub.ledger.LedgerEvents.toProto(outcome);
        assertThat(wireValue.name()).isEqualTo(outcome.name());
        if (outcome != io.quotahub.engine.Outcome.EXPIRED) { // EXPIRED is the ledger's own, never a client's word
            assertThat(io.quotahub.hub.ledger.LedgerEvents.fromProto(wireValue)).isEqualTo(outcome);
        }
    }

    @Test
    void aSettleWithAProviderReport_becomesACommandWithTheReportAndTheCallDuration() {
        SettleRequest request = SettleRequest.newBuilder().setRequestId("s1").setLeaseId("main-1").setAgentId("a1")
                .setOutcome(io.quotahub.proto.Outcome.UNKNOWN).setCallDurationMs(412)
                .setProvider(io.quotahub.proto.ProviderReport.newBuilder().setQuotaId("GenerateRequestsPerMinute")
                        .addLimits(ProviderLimit.newBuilder().setKind(LimitKind.REQUESTS).setLimit(200).setRemaining(0).setResetAfterMs(360_000))
                        .addLimits(ProviderLimit.newBuilder().setKind(LimitKind.OUTPUT_TOKENS).setRemaining(7)))
                .build();

        SettleCommand cmd = wire.command(request, "nats:alice");

        assertThat(cmd.outcome()).isEqualTo(io.quotahub.engine.Outcome.UNKNOWN);
        assertThat(cmd.callDurationMs()).isEqualTo(412);
        assertThat(cmd.provider()).isEqualTo(new ProviderReport("GenerateRequestsPerMinute", java.util.List.of(
                new ProviderReport.Limit("REQUESTS", 200L, 0L, 360_000L),
                new ProviderReport.Limit("OUTPUT_TOKENS", null, 7L, null))));
    }

    @Test
    void aSettleWithoutAReport_hasNone_andAnEndlessListIsNeverCopiedWhole() {
        assertThat(wire.command(SettleRequest.newBuilder().setLeaseId("main-1").build(), "").provider()).isNull();
        io.quotahub.proto.ProviderReport.Builder many = io.quotahub.proto.ProviderReport.newBuilder();
        for (int i = 0; i < 1_000; i++) {
            many.addLimits(ProviderLimit.newBuilder().setKind(LimitKind.TOKENS).setRemaining(i));
        }
        ProviderReport copied = wire.command(SettleRequest.newBuilder().setLeaseId("main-1").setProvider(many).build(), "").provider();
        assertThat(copied.limits()).hasSize(ProviderReport.MAX_LIMITS + 1); // one more than allowed: refused by the settle path
    }

    private static AcquireRequest request() {
        return AcquireRequest.newBuilder().setRequestId("r1").setAgentId("a1").setPool("demo").setTokens(100)
                .setDeadlineEpochMs(5_000).build();
    }
}
