package io.quotahub.testkit;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.api.External;
import io.nats.client.api.Source;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two-domain topology works as docs/architecture.md, "Topology", says on the installed nats-server: a stream in one
 * domain sources the other domain's stream across the leafnode, stops during a split, catches up
 * after it heals.
 */
class NatsPairTest {

    @Test
    void aStreamInMainSourcesEdgesStreamAcrossTheLeafnodeAndCatchesUpAfterASplit() throws Exception {
        try (NatsPair pair = NatsPair.start();
             Connection main = Nats.connect(pair.main().url());
             Connection edge = Nats.connect(pair.edge().url())) {
            edge.jetStreamManagement().addStream(StreamConfiguration.builder().name("LEDGER_edge")
                    .subjects("ledger.edge.>").storageType(StorageType.File).build());
            JetStreamManagement mainJsm = main.jetStreamManagement();
            mainJsm.addStream(StreamConfiguration.builder().name("COPY_edge").storageType(StorageType.File)
                    .sources(Source.builder().sourceName("LEDGER_edge").startSeq(1)
                            .external(External.builder().api("$JS.edge.API").build()).build())
                    .build());

            edge.jetStream().publish("ledger.edge.events", "one".getBytes());
            awaitCount(mainJsm, "COPY_edge", 1);

            pair.link().cut();
            edge.jetStream().publish("ledger.edge.events", "two".getBytes());
            Thread.sleep(500);
            assertThat(mainJsm.getStreamInfo("COPY_edge").getStreamState().getMsgCount()).isEqualTo(1);

            pair.link().heal();
            awaitCount(mainJsm, "COPY_edge", 2);

            JetStreamManagement edgeFromMain = main.jetStreamManagement(JetStreamOptions.builder().domain("edge").build());
            assertThat(edgeFromMain.getStreamInfo("LEDGER_edge").getStreamState().getMsgCount()).isEqualTo(2);
        }
    }

    private static void awaitCount(JetStreamManagement jsm, String stream, long count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            seen = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
            if (seen >= count) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(stream + " holds " + seen + " messages, expected " + count);
    }
}
