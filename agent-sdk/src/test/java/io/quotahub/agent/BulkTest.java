package io.quotahub.agent;

import io.quotahub.proto.AcquireReply;
import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Outcome;
import io.quotahub.proto.SettleReply;
import io.quotahub.proto.SettleRequest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link QuotaClient#bulk} against a fake hub on a real nats-server. The pace is the hub's: it
 * grants while fewer than its capacity of leases are open and refuses (with a retry-after) above
 * it; nothing in the runs or the tests sleeps.
 */
class BulkTest extends NatsTestBase {

    /** Grants while fewer than {@code capacity} leases are open, refuses above; a settle frees one. */
    private static final class CapacityHub {
        final int capacity;
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicInteger refusals = new AtomicInteger();

        CapacityHub(FakeHub hub, int capacity) {
            this.capacity = capacity;
            hub.onAcquire(r -> grantOrRefuse(hub, r)).onSettle(r -> settle(hub, r));
        }

        private synchronized AcquireReply.Builder grantOrRefuse(FakeHub hub, AcquireRequest r) {
            if (open.get() >= capacity) {
                refusals.incrementAndGet();
                return FakeHub.refuse(10);
            }
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            return hub.grant(r);
        }

        private synchronized SettleReply.Builder settle(FakeHub hub, SettleRequest r) {
            open.decrementAndGet();
            return hub.settle(r);
        }
    }

    private static HttpResponse<String> ok(String body) {
        return StubResponse.of(200, body);
    }

    @Test
    void bulk_processesEveryItemInInputOrder_pacedByTheHubsGrantsAndRefusals() throws Exception {
        FakeHub main = hub("main");
        CapacityHub capacity = new CapacityHub(main, 2);
        QuotaClient client = client();
        List<String> items = IntStream.range(0, 20).mapToObj(i -> "doc-" + i).toList();

        BulkResult<String, HttpResponse<String>> result = client.bulk("demo", items)
                .tokens(String::length).maxInFlight(4)
                .run((item, lease) -> ok("summary of " + item));

        assertThat(result.stop()).isEqualTo(BulkResult.Stop.COMPLETED);
        assertThat(result.allSucceeded()).isTrue();
        assertThat(result.items()).extracting(BulkItem::item).containsExactlyElementsOf(items);
        assertThat(result.items()).extracting(i -> i.value().body())
                .containsExactlyElementsOf(items.stream().map(i -> "summary of " + i).toList());
        assertThat(capacity.maxOpen.get()).as("never more leases open than the hub allows").isLessThanOrEqualTo(2);
        assertThat(capacity.refusals.get()).as("four in flight against room for two: the hub's refusals set the pace").isPositive();
        assertThat(main.settles).hasSize(20);
        assertThat(main.settles).extracting(s -> s.request().getOutcome()).containsOnly(Outcome.OK);
        assertThat(main.acquires).extracting(a -> a.request().getTokens()).contains(5L, 6L);
        assertThat(result.progress().done()).isEqualTo(20);
        assertThat(result.progress().total()).isEqualTo(20);
    }

    @Test
    void bulk_neverHasMoreThanMaxInFlightItemsAtOnce() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();

        BulkRun<Integer, HttpResponse<String>> run = client.bulk("demo", List.of(1, 2, 3, 4, 5, 6, 7)).maxInFlight(3)
                .start((item, lease) -> {
                    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    release.await(10, TimeUnit.SECONDS);
                    running.decrementAndGet();
                    return ok("" + item);
                });

        await("three calls to run", () -> running.get() == 3);
        assertThat(run.progress().inFlight()).isEqualTo(3);
        assertThat(main.acquires).as("no fourth lease asked for while three are in flight").hasSize(3);
        release.countDown();
        BulkResult<Integer, HttpResponse<String>> result = run.await();

        assertThat(maxRunning.get()).isEqualTo(3);
        assertThat(result.items()).extracting(BulkItem::item).containsExactly(1, 2, 3, 4, 5, 6, 7);
        assertThat(main.acquires).hasSize(7);
    }

    @Test
    void bulk_reportsAFailedItemAndContinues_settlingItsLeaseFailed() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        BulkResult<String, HttpResponse<String>> result = client.bulk("demo", List.of("a", "boom", "c")).maxInFlight(1)
                .run((item, lease) -> {
                    if (item.equals("boom")) {
                        throw new IOException("provider unreachable with " + lease.apiKey());
                    }
                    return ok(item);
                });

        assertThat(result.stop()).isEqualTo(BulkResult.Stop.COMPLETED);
        assertThat(result.items()).extracting(BulkItem::status).containsExactly(
                BulkItem.Status.SUCCEEDED, BulkItem.Status.FAILED, BulkItem.Status.SUCCEEDED);
        assertThat(result.items().get(1).failureCause()).containsInstanceOf(IOException.class);
        assertThat(result.items().get(1).value()).isNull();
        assertThat(result.progress().failed()).isEqualTo(1);
        assertThat(result.allSucceeded()).isFalse();
        SettleRequest failedSettle = main.settles.get(1).request();
        assertThat(failedSettle.getOutcome()).isEqualTo(Outcome.ERROR);
        assertThat(failedSettle.getDetail()).isEqualTo("java.io.IOException").doesNotContain("secret");
    }

    @Test
    void bulk_withoutALeaseWithinMaxWait_failsTheItemWithTheRefusal() throws Exception {
        FakeHub main = hub("main");
        main.onAcquire(r -> FakeHub.refuse(60_000));
        QuotaClient client = client();

        BulkResult<String, HttpResponse<String>> result = client.bulk("demo", List.of("a", "b")).maxWait(Duration.ZERO)
                .run((item, lease) -> ok(item));

        assertThat(result.items()).extracting(BulkItem::status).containsOnly(BulkItem.Status.FAILED);
        assertThat(result.items().get(0).failureCause()).containsInstanceOf(QuotaExhaustedException.class);
        assertThat(main.settles).isEmpty();
    }

    @Test
    void bulk_stopsAfterNFailures_leavingTheRestInTheSource() throws Exception {
        hub("main");
        QuotaClient client = client();
        Iterator<String> source = List.of("a", "b", "c", "d", "e").iterator();

        BulkResult<String, String> result = client.bulk("demo", () -> source).maxInFlight(1).stopAfterFailures(2)
                .run((item, lease) -> {
                    throw new IllegalStateException("bad item " + item);
                });

        assertThat(result.stop()).isEqualTo(BulkResult.Stop.TOO_MANY_FAILURES);
        assertThat(result.items()).extracting(BulkItem::item).containsExactly("a", "b");
        assertThat(result.progress().total()).as("an iterator's size is unknown").isEqualTo(-1);
        assertThat(source.next()).as("the source resumes at the first item never taken").isEqualTo("c");
    }

    @Test
    void aSourceThatThrows_endsTheRunSourceFailed_keepingTheItemsTakenBefore() throws Exception {
        hub("main");
        QuotaClient client = client();
        IllegalStateException broken = new IllegalStateException("cursor closed");
        Iterator<String> source = Stream.of("a", "b", "c").map(s -> {
            if (s.equals("c")) {
                throw broken;
            }
            return s;
        }).iterator();

        BulkResult<String, HttpResponse<String>> result = client.bulk("demo", () -> source).maxInFlight(1)
                .run((item, lease) -> ok(item));

        assertThat(result.stop()).isEqualTo(BulkResult.Stop.SOURCE_FAILED);
        assertThat(result.sourceFailureCause()).containsSame(broken);
        assertThat(result.items()).extracting(BulkItem::status).containsExactly(BulkItem.Status.SUCCEEDED, BulkItem.Status.SUCCEEDED);
        assertThat(result.allSucceeded()).isFalse();
    }

    @Test
    void cancel_letsRunningCallsFinish_givesBackALeaseGrantedLater_andTakesNoMoreItems() throws Exception {
        FakeHub main = hub("main");
        AtomicBoolean room = new AtomicBoolean(false);
        AtomicInteger granted = new AtomicInteger();
        main.onAcquire(r -> room.get() || granted.getAndIncrement() == 0 ? main.grant(r) : FakeHub.refuse(10)); // room for one
        QuotaClient client = client();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        Iterator<Integer> source = IntStream.range(0, 100).boxed().iterator();

        BulkRun<Integer, HttpResponse<String>> run = client.bulk("demo", () -> source).maxInFlight(2)
                .start((item, lease) -> {
                    running.incrementAndGet();
                    release.await(10, TimeUnit.SECONDS);
                    return ok("" + item);
                });
        await("one call running and one waiting for room", () -> running.get() == 1 && main.acquires.size() >= 3);
        run.cancel();
        room.set(true); // the waiting item gets its lease after the cancel
        release.countDown();
        BulkResult<Integer, HttpResponse<String>> result = run.await();

        assertThat(result.stop()).isEqualTo(BulkResult.Stop.CANCELLED);
        assertThat(result.items()).extracting(BulkItem::status)
                .containsExactly(BulkItem.Status.SUCCEEDED, BulkItem.Status.CANCELLED);
        assertThat(running.get()).as("the cancelled item's call never ran").isEqualTo(1);
        await("both leases settled", () -> main.settles.size() == 2);
        assertThat(main.settles).extracting(s -> s.request().getTokensUsed())
                .as("the call's estimate, and the late lease given back unused").containsExactlyInAnyOrder(1L, 0L);
        assertThat(source.next()).as("no item taken after the two in flight").isEqualTo(2);
    }

    @Test
    void start_withASink_deliversEveryResultInInputOrder_takingOnlyAWindowAhead() throws Exception {
        hub("main");
        QuotaClient client = client();
        AtomicInteger taken = new AtomicInteger();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        AtomicInteger maxAhead = new AtomicInteger();
        Stream<Integer> large = IntStream.range(0, 300).boxed().peek(i -> {
            taken.incrementAndGet();
            maxAhead.accumulateAndGet(taken.get() - delivered.size(), Math::max);
        });

        BulkResult<Integer, HttpResponse<String>> result = client.bulk("demo", large::iterator).maxInFlight(4)
                .start((item, lease) -> ok("" + item), (BulkItem<Integer, HttpResponse<String>> r) -> delivered.add(r.index()))
                .await();

        assertThat(delivered).containsExactlyElementsOf(IntStream.range(0, 300).mapToObj(i -> (long) i).toList());
        assertThat(result.items()).as("results went to the sink, none kept").isEmpty();
        assertThat(result.progress().succeeded()).isEqualTo(300);
        assertThat(maxAhead.get()).as("items taken ahead of the first not yet delivered").isLessThanOrEqualTo(4 * 4);
    }

    @Test
    void onProgress_reportsEachItemOnce_endingWithEverythingDone() throws Exception {
        hub("main");
        QuotaClient client = client();
        List<BulkProgress> reports = new CopyOnWriteArrayList<>();

        client.bulk("demo", List.of("a", "b", "c", "d")).maxInFlight(2).onProgress(reports::add)
                .run((item, lease) -> ok(item));

        assertThat(reports).hasSize(4);
        assertThat(reports).extracting(BulkProgress::done).containsExactly(1L, 2L, 3L, 4L);
        BulkProgress last = reports.get(3);
        assertThat(last.succeeded()).isEqualTo(4);
        assertThat(last.inFlight()).isZero();
        assertThat(last.eta()).contains(Duration.ZERO);
    }

    @Test
    void bulk_anItemWhoseEstimateIsNotPositive_failsWithoutAskingTheHub() throws Exception {
        FakeHub main = hub("main");
        QuotaClient client = client();

        BulkResult<String, HttpResponse<String>> result = client.bulk("demo", List.of("", "x")).tokens(String::length)
                .run((item, lease) -> ok(item));

        assertThat(result.items()).extracting(BulkItem::status).containsExactly(BulkItem.Status.FAILED, BulkItem.Status.SUCCEEDED);
        assertThat(result.items().get(0).failure()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token estimate of item 0 must be positive, was 0");
        assertThat(main.acquires).hasSize(1);
    }

    @Test
    void bulk_refusesBadSettingsWithTheFieldsName_andASecondStart() throws Exception {
        hub("main");
        QuotaClient client = client();
        Bulk<String> bulk = client.bulk("demo", List.of("a"));

        assertThatThrownBy(() -> bulk.maxInFlight(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxInFlight");
        assertThatThrownBy(() -> bulk.maxWait(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait");
        assertThatThrownBy(() -> bulk.stopAfterFailures(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stopAfterFailures");
        assertThatThrownBy(() -> client.bulk(" ", List.of("a"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool");
        bulk.run((item, lease) -> ok(item));
        assertThatThrownBy(() -> bulk.run((item, lease) -> ok(item))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void bulk_onAClosedClient_failsEveryItemAtOnce_withoutTheStackGrowingWithTheItems() throws Exception {
        hub("main");
        QuotaClient client = client();
        client.close();

        BulkResult<Integer, String> result = client.bulk("demo", () -> IntStream.range(0, 200_000).boxed().iterator())
                .run((item, lease) -> "never");

        assertThat(result.progress().failed()).isEqualTo(200_000);
        assertThat(result.items().get(199_999).failure()).isInstanceOf(IllegalStateException.class);
        assertThat(result.stop()).isEqualTo(BulkResult.Stop.COMPLETED);
    }

    @Test
    void progress_rateAndEta_followFromTheCountsAndElapsedTime() {
        BulkProgress p = new BulkProgress(100, 18, 2, 0, 4, Duration.ofSeconds(10));

        assertThat(p.done()).isEqualTo(20);
        assertThat(p.ratePerSecond()).isEqualTo(2.0);
        assertThat(p.eta()).contains(Duration.ofSeconds(40));
        assertThat(new BulkProgress(-1, 5, 0, 0, 1, Duration.ofSeconds(1)).eta()).as("unknown total").isEmpty();
        assertThat(new BulkProgress(10, 0, 0, 0, 1, Duration.ZERO).eta()).as("no rate yet").isEmpty();
    }
}
