package io.quotahub.chaos.hostile;

import io.quotahub.proto.AcquireRequest;
import io.quotahub.proto.Priority;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PayloadsTest {

    private static final long NOW = 1_800_000_000_000L;

    @Property(tries = 300)
    void aMutatedAcquireIsNeverAUsableRequestUnderAnotherAgentId(@ForAll long seed) {
        Payloads p = new Payloads(new Random(seed), "hostile-1", "guarded");

        for (int i = 0; i < 20; i++) {
            assertThat(Payloads.isForeignAcquire(p.mutatedAcquire(NOW), "hostile-1")).isFalse();
        }
    }

    @Property(tries = 300)
    void garbageStaysUnderTheServersMaxPayload(@ForAll long seed) {
        Payloads p = new Payloads(new Random(seed), "hostile-1", "guarded");

        for (int i = 0; i < 20; i++) {
            assertThat(p.garbage().length).isLessThan(1_048_576);
            assertThat(p.mutatedSettle("main-1-2", "s3cr3t", NOW).length).isLessThan(1_048_576);
            assertThat(p.mutatedHeartbeat(List.of("main-1-2", "edge-3-4"), NOW).length).isLessThan(1_048_576);
        }
    }

    @Test
    void aValidRequestUnderAnotherAgentIdIsForeignAndOursIsNot() {
        AcquireRequest.Builder r = AcquireRequest.newBuilder().setRequestId("r").setPool("guarded").setTokens(1)
                .setPriority(Priority.HIGH).setDeadlineEpochMs(NOW);

        assertThat(Payloads.isForeignAcquire(r.setAgentId("hostile-2").build().toByteArray(), "hostile-1")).isTrue();
        assertThat(Payloads.isForeignAcquire(r.setAgentId("").build().toByteArray(), "hostile-1")).isTrue();
        assertThat(Payloads.isForeignAcquire(r.setAgentId("hostile-1").build().toByteArray(), "hostile-1")).isFalse();
        assertThat(Payloads.isForeignAcquire(r.setAgentId("hostile-2").setPool("").build().toByteArray(), "hostile-1")).isFalse();
        assertThat(Payloads.isForeignAcquire(new byte[] {(byte) 0x0a, (byte) 0xff}, "hostile-1")).isFalse();
    }

    @Test
    void mutationsChangeTheMessage() {
        Payloads p = new Payloads(new Random(7), "hostile-1", "guarded");
        byte[] valid = AcquireRequest.newBuilder().setRequestId("r").setAgentId("hostile-1").setPool("guarded").build().toByteArray();

        long unchanged = java.util.stream.IntStream.range(0, 200).filter(i -> java.util.Arrays.equals(p.mutate(valid), valid)).count();

        assertThat(unchanged).isLessThan(10); // only a flip that happens to write the same byte back
    }
}
