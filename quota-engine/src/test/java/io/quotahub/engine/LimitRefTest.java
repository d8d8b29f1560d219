package io.quotahub.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LimitRefTest {

    @Test
    void wireFormOfAKeyLimitIsPoolSlashKeyHashIndex_andParsesBack() {
        LimitRef r = LimitRef.ofKey("gemini-pro", "k-1", 2);
        assertThat(r.toString()).isEqualTo("gemini-pro/k-1#2");
        assertThat(LimitRef.parse("gemini-pro/k-1#2")).isEqualTo(r);
        assertThat(r.isPoolLimit()).isFalse();
    }

    @Test
    void wireFormOfAPoolLimitHasNoKey() {
        LimitRef r = LimitRef.ofPool("gemini-pro", 0);
        assertThat(r.toString()).isEqualTo("gemini-pro#0");
        assertThat(LimitRef.parse("gemini-pro#0")).isEqualTo(r);
        assertThat(r.isPoolLimit()).isTrue();
    }

    @Test
    void aKeyIdMayContainSlashesAndHashes_theIndexFollowsTheLastHash() {
        assertThat(LimitRef.parse("p/org/key#7#1")).isEqualTo(LimitRef.ofKey("p", "org/key#7", 1));
    }

    @Test
    void parseRejectsWhatIsNotARef() {
        for (String bad : new String[] {"p", "p#", "#1", "p#x", "p#-1", "/k#1", "p/#1"}) {
            assertThatThrownBy(() -> LimitRef.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
