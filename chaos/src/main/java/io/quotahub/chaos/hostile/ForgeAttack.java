package io.quotahub.chaos.hostile;

import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleRequest;
import io.quotahub.proto.Subjects;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link HostileAgent.Attack#FORGE}: settles of other agents' leases, learnt by listening to the
 * ledger subjects: RATE_LIMITED with a 10-year retry-after, AUTH_FAILED, ERROR; without a secret
 * and with a wrong one; over NATS and (every third grant) HTTP.
 */
final class ForgeAttack {

    /** Ten years, in milliseconds: the retry-after of a forged RATE_LIMITED settle. */
    static final long TEN_YEARS_MS = 315_360_000_000L;

    private final HostileWire wire;
    private final Executor http;
    private final AtomicLong forgeries = new AtomicLong();

    /** @param http where the HTTP forgeries run (they block) */
    ForgeAttack(HostileWire wire, Executor http) {
        this.wire = wire;
        this.http = http;
    }

    /** Two forged settles for each of up to 10 fresh grants of others. */
    void tick() {
        for (int i = 0; i < 10; i++) {
            HostileWire.Foreign f = wire.fresh.poll();
            if (f == null) {
                return;
            }
            long n = forgeries.incrementAndGet();
            for (int k = 0; k < 2; k++) {
                Outcome outcome = switch ((int) ((n + k) % 3)) {
                    case 0 -> Outcome.RATE_LIMITED;
                    case 1 -> Outcome.AUTH_FAILED;
                    default -> Outcome.ERROR;
                };
                boolean wrongSecret = k == 1;
                SettleRequest.Builder s = SettleRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                        .setLeaseId(f.leaseId()).setAgentId(wire.agentId).setTokensUsed(1).setOutcome(outcome)
                        .setDeadlineEpochMs(System.currentTimeMillis() + 1_000);
                if (outcome == Outcome.RATE_LIMITED) {
                    s.setRetryAfterMs(TEN_YEARS_MS);
                }
                if (outcome == Outcome.ERROR) {
                    s.setDetail("forged");
                }
                if (wrongSecret) {
                    s.setLeaseSecret(wire.wrongSecret());
                }
                String subject = wire.random.nextBoolean() ? Subjects.SETTLE : Subjects.hubSettle(f.hubId());
                wire.settle("forge: settle " + outcome + (wrongSecret ? " wrong secret" : " no secret") + " (NATS)", subject, s.build());
            }
            if (n % 3 == 0) {
                http.execute(() -> overHttp(f, n));
            }
        }
    }

    private void overHttp(HostileWire.Foreign f, long n) {
        String base = wire.hubUrls.getOrDefault(f.hubId(), wire.hubUrls.values().iterator().next());
        boolean wrongSecret = n % 2 == 0;
        String handle = wrongSecret ? f.leaseId() + "." + wire.wrongSecret() : f.leaseId();
        Map<String, Object> body = switch ((int) (n % 9 / 3)) {
            case 0 -> HostileWire.json("tokensUsed", 1, "outcome", "RATE_LIMITED", "retryAfterMs", TEN_YEARS_MS);
            case 1 -> HostileWire.json("tokensUsed", 1, "outcome", "AUTH_FAILED");
            default -> HostileWire.json("tokensUsed", 1, "outcome", "ERROR", "detail", "forged");
        };
        HttpResponse<String> r = wire.post(base + "/api/v1/leases/" + handle + "/complete", body);
        wire.tally.count("forge: complete " + (wrongSecret ? "wrong secret" : "bare lease id") + " (HTTP)", HostileWire.httpAnswer(r));
    }
}
