package io.quotahub.chaos.checker;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LanguageCheckTest {

    @Test
    void leasesAreCountedBeforeDuringAndAfterTheFault() {
        LanguageCheck.Phases p = LanguageCheck.Phases.of(List.of(1L, 9L, 10L, 15L, 19L, 20L, 30L), 10, 20);

        assertThat(p).isEqualTo(new LanguageCheck.Phases(2, 3, 2));
        assertThat(p.empty()).isEmpty();
    }

    @Test
    void aLanguageWithNoLeaseWhileTheHubWasDownNamesThatPhase() {
        LanguageCheck.Phases p = LanguageCheck.Phases.of(List.of(1L, 25L), 10, 20);

        assertThat(p.empty()).containsExactly("during the fault");
    }

    @Test
    void aFaultNeverHealedCountsEverythingAfterItsInjectAsDuring() {
        LanguageCheck.Phases p = LanguageCheck.Phases.of(List.of(5L, 50L), 10, -1);

        assertThat(p).isEqualTo(new LanguageCheck.Phases(1, 1, 0));
        assertThat(p.empty()).containsExactly("after the heal");
    }
}
