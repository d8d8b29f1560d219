package io.quotahub.agent.internal;

import io.quotahub.agent.QuotaExhaustedException;
import io.quotahub.proto.Outcome;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The SDK's own block supply ({@link BlockSupply}: refill ahead of need, {@link BlockSizer}'s sizing
 * from the recent rate, {@link HeldBlock}'s usable life and its end-of-use timer) driven by a
 * simulation: the hub, the timer and the ticker are the caller's. For the benchmarks only
 * (io.quotahub.bench.SpareRoomFairness); it lives in the SDK's internal package because the supply
 * is not public, and the bench runs on the class path, where that package is not sealed.
 */
public final class SimulatedBlockSupply {

    /** The simulated hub and timer. */
    public interface Hub {
        /** A block request sent now; {@code answer} is called when the reply arrives (later, or at once). */
        void request(int calls, long tokensPerCall, Consumer<Answer> answer);

        /** A block settled with the calls drawn from it. */
        void settle(String leaseId, long tokensUsed, int callsUsed);

        /** Runs {@code task} after {@code delayNanos} of the ticker. */
        void schedule(Runnable task, long delayNanos);
    }

    /** A grant ({@code leaseId} set) or a refusal ({@code retryAfter}). */
    public record Answer(String leaseId, String keyId, int calls, long tokens, long expiresInNanos, Duration retryAfter) {

        public static Answer refused(Duration retryAfter) {
            return new Answer(null, null, 0, 0, 0, retryAfter);
        }
    }

    private final BlockSupply supply;

    public SimulatedBlockSupply(String pool, LongSupplier ticker, Hub hub) {
        Ticker t = ticker::getAsLong;
        this.supply = new BlockSupply(pool, t, new BlockSupply.Hub() {
            @Override
            public CompletableFuture<HeldBlock.Grant> request(String p, long tokensPerCall, int calls, Duration maxWait) {
                long sentAt = t.nanos();
                CompletableFuture<HeldBlock.Grant> f = new CompletableFuture<>();
                hub.request(calls, tokensPerCall, a -> {
                    if (a.leaseId() == null) {
                        f.completeExceptionally(new QuotaExhaustedException("QUOTA_EXHAUSTED", "refused", a.retryAfter(), p, "", ""));
                    } else {
                        f.complete(new HeldBlock.Grant(p, a.leaseId(), "main", a.keyId(), "", a.calls(), a.tokens(),
                                a.expiresInNanos(), sentAt, true, null));
                    }
                });
                return f;
            }

            @Override
            public CompletableFuture<Void> settle(HeldBlock.Grant grant, Outcome outcome, long tokensUsed, int callsUsed,
                                                  long retryAfterMs) {
                hub.settle(grant.leaseId(), tokensUsed, callsUsed);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void schedule(Runnable task, long delayNanos) {
                hub.schedule(task, delayNanos);
            }
        });
    }

    /**
     * {@code CallBlocks.tryAcquire(1)}: whether a call was drawn from a held block (else a refill may
     * start). The model's calls complete at once: a call drawn is reported {@code callCompleted()}.
     */
    public boolean tryAcquire() {
        io.quotahub.agent.Block b = supply.tryAcquire(1);
        if (b == null) {
            return false;
        }
        b.callCompleted();
        return true;
    }

    /** The calls/s the supply's sizer last measured. */
    public double callsPerSecond() {
        return supply.callsPerSecond();
    }
}
