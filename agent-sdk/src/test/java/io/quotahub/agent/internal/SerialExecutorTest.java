package io.quotahub.agent.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SerialExecutorTest {

    private final List<Runnable> overflow = new ArrayList<>();
    private final SerialExecutor serial = new SerialExecutor(overflow::add);

    @Test
    void anIdleExecutor_runsTheTaskOnTheSubmittingThread() {
        Thread[] ranOn = new Thread[1];
        serial.execute(() -> ranOn[0] = Thread.currentThread());
        assertThat(ranOn[0]).isSameAs(Thread.currentThread());
    }

    @Test
    void aTaskSubmittedByATask_runsAfterIt_notInsideIt() {
        List<String> order = new ArrayList<>();
        serial.execute(() -> {
            order.add("outer start");
            serial.execute(() -> order.add("inner"));
            order.add("outer end");
        });
        assertThat(order).containsExactly("outer start", "outer end", "inner");
    }

    @Test
    void aLongDrain_handsTheRestToTheOverflowExecutor() {
        List<Integer> ran = new ArrayList<>();
        serial.execute(() -> {
            for (int i = 0; i < SerialExecutor.MAX_INLINE + 10; i++) {
                int n = i;
                serial.execute(() -> ran.add(n));
            }
        });
        assertThat(ran).hasSize(SerialExecutor.MAX_INLINE - 1); // the outer task took one turn
        assertThat(overflow).hasSize(1);
        overflow.remove(0).run();
        assertThat(ran).hasSize(SerialExecutor.MAX_INLINE + 10).isSorted();
    }

    private int unguarded;

    @Test
    void tasksFromManyThreads_neverRunAtTheSameTime() throws Exception {
        SerialExecutor s = new SerialExecutor(Runnable::run);
        int threads = 4;
        int each = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    go.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    s.execute(() -> unguarded++);
                }
            });
            w.start();
            workers.add(w);
        }
        go.countDown();
        for (Thread w : workers) {
            w.join(30_000);
        }
        s.execute(() -> { }); // drains anything a racing submitter left queued
        assertThat(unguarded).isEqualTo(threads * each);
    }
}
