package io.quotahub.agent;

import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link QuotaClient#blocks}: one grant for many calls, served in-process (docs/clients.md,
 * "Blocks"), against a fake hub on a real NATS server.
 */
class BlocksTest extends NatsTestBase {

    /** Grants blocks of {@code calls} calls usable for {@code lifeMs}, as a hub of a pool with blocks does. */
    private static FakeHub grantingBlocks(FakeHub hub, int calls, long lifeMs) {
        return hub.onAcquire(r -> {
            var reply = hub.grant(r);
            if (r.getBlockCalls() > 0) {
                reply.getGrantedBuilder().setBlockCalls(calls).setBlockExpiresInMs(lifeMs).setTokens(r.getTokens() * calls);
            }
            return reply;
        });
    }

    @Test
    void callsAreDrawnFromOneGrant_withoutAskingTheHubAgain_andTheBlockSettlesWithTheCallsDrawn() throws Exception {
        FakeHub hub = grantingBlocks(hub("main"), 10, 30_000);
        QuotaClient client = client();
        awaitKnownHubs(client, "main");
        CallBlocks blocks = client.blocks("demo");

        Block first = blocks.acquire(3, Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            assertThat(blocks.tryAcquire(3)).isSameAs(first);
        }

        assertThat(hub.acquires).hasSize(1);
        AcquireRequest asked = hub.acquires.get(0).request();
        assertThat(asked.getBlockCalls()).isPositive();
        assertThat(asked.getTokens()).isEqualTo(3);
        assertThat(first.apiKey()).isEqualTo(FakeHub.apiKeyOf("main"));
        assertThat(client.blocks("demo")).isSameAs(blocks);

        blocks.close();
        await("the block's settle", () -> hub.settles.size() == 1);
        SettleRequest settle = hub.settles.get(0).request();
        assertThat(settle.getCallsUsed()).isEqualTo(5);
        assertThat(settle.getTokensUsed()).isEqualTo(15);
        assertThat(settle.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(settle.getLeaseSecret()).isEqualTo(FakeHub.secretOf(settle.getLeaseId()));
    }

    @Test
    void aHeldBlockKeepsServingCallsWhileNoHubAnswers() throws Exception {
        FakeHub hub = grantingBlocks(hub("main"), 20, 30_000);
        QuotaClient client = client();
        awaitKnownHubs(client, "main");
        CallBlocks blocks = client.blocks("demo");
        Block block = blocks.acquire(1, Duration.ofSeconds(5));

        hub.hang(); // the hub is gone for the agent: no answer to anything
        for (int i = 0; i < 10; i++) {
            assertThat(blocks.tryAcquire(1)).isSameAs(block);
        }
    }

    @Test
    void a429EndsTheBlock_andItsSettleReportsRateLimitedWithTheRetryAfter() throws Exception {
        FakeHub hub = grantingBlocks(hub("main"), 10, 30_000);
        QuotaClient client = client();
        awaitKnownHubs(client, "main");
        CallBlocks blocks = client.blocks("demo");
        Block block = blocks.acquire(1, Duration.ofSeconds(5));
        blocks.tryAcquire(1);

        block.rateLimited(Duration.ofSeconds(4));

        await("the block's settle", () -> hub.settles.size() == 1);
        SettleRequest settle = hub.settles.get(0).request();
        assertThat(settle.getOutcome()).isEqualTo(Outcome.RATE_LIMITED);
        assertThat(settle.getRetryAfterMs()).isEqualTo(4_000);
        assertThat(settle.getCallsUsed()).isEqualTo(2);
    }

    @Test
    void closingTheClient_settlesItsBlocksWithWhatWasDrawn() throws Exception {
        FakeHub hub = grantingBlocks(hub("main"), 10, 30_000);
        QuotaClient client = clientBuilder().build();
        awaitKnownHubs(client, "main");
        client.blocks("demo").acquire(2, Duration.ofSeconds(5));

        client.close();

        assertThat(hub.settles).hasSize(1);
        assertThat(hub.settles.get(0).request().getCallsUsed()).isEqualTo(1);
        assertThat(hub.settles.get(0).request().getOutcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void aPoolWithoutBlocks_servesOneCallPerGrant() throws Exception {
        FakeHub hub = hub("main"); // grants leases of one call, as a hub of a pool without blocks
        QuotaClient client = client();
        awaitKnownHubs(client, "main");
        CallBlocks blocks = client.blocks("demo");

        Block one = blocks.acquire(1, Duration.ofSeconds(5));
        Block two = blocks.acquire(1, Duration.ofSeconds(5));

        assertThat(two).isNotSameAs(one);
        assertThat(hub.acquires.size()).isGreaterThanOrEqualTo(2);
    }
}
