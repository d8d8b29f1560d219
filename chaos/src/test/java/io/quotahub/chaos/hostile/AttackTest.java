package io.quotahub.chaos.hostile;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AttackTest {

    @Test
    void attacksAreParsedFromAList() {
        assertThat(HostileAgent.Attack.parse(null)).hasSize(HostileAgent.Attack.values().length);
        assertThat(HostileAgent.Attack.parse("all")).hasSize(HostileAgent.Attack.values().length);
        assertThat(HostileAgent.Attack.parse("none")).isEmpty();
        assertThat(HostileAgent.Attack.parse("overflow, Forge")).containsExactly(HostileAgent.Attack.OVERFLOW, HostileAgent.Attack.FORGE);
        assertThatThrownBy(() -> HostileAgent.Attack.parse("overflow,nuke")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown attack 'nuke'");
    }
}
