package io.quotahub.chaos.checker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HonestGoodputTest {

    @Test
    void exactlyTheMinimumShareHolds() {
        HonestGoodput g = new HonestGoodput(150, 120, 0.8);

        assertThat(g.held()).isTrue();
        assertThat(g.failure()).isNull();
        assertThat(g.summary()).isEqualTo("honest calls: 150 alone, 120 beside the hostile agent (80 %, needs ≥ 80 %)");
    }

    @Test
    void oneCallBelowTheMinimumShareFails() {
        HonestGoodput g = new HonestGoodput(150, 119, 0.8);

        assertThat(g.held()).isFalse();
        assertThat(g.failure()).isEqualTo("honest goodput fell beside the hostile agent: honest calls: 150 alone, 119 beside the"
                + " hostile agent (79 %, needs ≥ 80 %)");
    }

    @Test
    void moreCallsUnderAttackThanAloneHold() {
        assertThat(new HonestGoodput(150, 160, 0.8).held()).isTrue();
    }

    @Test
    void aBaselineWithoutCallsCannotBeComparedAndFails() {
        HonestGoodput g = new HonestGoodput(0, 0, 0.8);

        assertThat(g.held()).isFalse();
        assertThat(g.ratio()).isZero();
        assertThat(g.failure()).isEqualTo("the honest agents completed no call alone: nothing to compare against");
    }

    @Test
    void countsAndRatioAreValidated() {
        assertThatThrownBy(() -> new HonestGoodput(-1, 0, 0.8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HonestGoodput(1, 1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minRatio");
        assertThatThrownBy(() -> new HonestGoodput(1, 1, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
