package io.quotahub.agent.internal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8Test {

    @Property
    void length_isTheLengthOfTheBytesOnTheWire(@ForAll String text) {
        assertThat(Utf8.length(text)).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }

    @Property
    void truncate_keepsTheLongestPrefixThatFitsAndNeverSplitsACharacter(@ForAll String text,
            @ForAll @IntRange(min = 0, max = 300) int maxBytes) {
        String cut = Utf8.truncate(text, maxBytes);

        assertThat(text).startsWith(cut);
        assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(maxBytes);
        if (cut.length() < text.length()) {
            int next = text.codePointAt(cut.length());
            // on a character boundary (never between the two halves of a surrogate pair)...
            assertThat(cut.isEmpty() || !Character.isHighSurrogate(cut.charAt(cut.length() - 1))
                    || !Character.isLowSurrogate(text.charAt(cut.length()))).isTrue();
            // ...and the next whole character would not fit
            String longer = cut + new String(Character.toChars(next));
            assertThat(longer.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(maxBytes);
        } else {
            assertThat(cut).isSameAs(text);
        }
    }

    @Test
    void truncate_cutsMultiByteTextOnCharacters() {
        assertThat(Utf8.truncate("ééé", 5)).isEqualTo("éé");
        assertThat(Utf8.truncate("a\uD83D\uDE00b", 4)).isEqualTo("a");
        assertThat(Utf8.truncate("a\uD83D\uDE00b", 5)).isEqualTo("a\uD83D\uDE00");
        assertThat(Utf8.truncate("€", 2)).isEmpty();
    }
}
