package io.quotahub.engine.internal;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class LeaseIdsTest {

    private static final Pattern FORMAT = Pattern.compile("hub-main-([0-9a-z]+)-([0-9a-z]+)_([0-9a-z]{13})");

    @Test
    void idsAreHubEpochSeqAndThirteenRandomBase36Digits() {
        LeaseIds ids = new LeaseIds("hub-main", 1_000_000);
        for (int i = 0; i < 100; i++) {
            String id = ids.next();
            var m = FORMAT.matcher(id);
            assertThat(m.matches()).as(id).isTrue();
            assertThat(Long.parseLong(m.group(1), 36)).isEqualTo(1_000_000);
            assertThat(Long.parseLong(m.group(2), 36)).isEqualTo(i);
            assertThat(LeaseIds.parse("hub-main-", id)).containsExactly(1_000_000, i);
            assertThat(hubOf(id)).as("the hub, read as the hub's reaper reads it").isEqualTo("hub-main");
        }
    }

    /** The hub of an id, read from the right past two dashes (the suffix holds none). */
    private static String hubOf(String leaseId) {
        int last = leaseId.lastIndexOf('-');
        int epoch = last > 0 ? leaseId.lastIndexOf('-', last - 1) : -1;
        return epoch > 0 ? leaseId.substring(0, epoch) : leaseId;
    }

    @Test
    void idsAreUniqueAndTheirSuffixesCannotBeGuessedFromEachOther() {
        LeaseIds first = new LeaseIds("main", 42);
        LeaseIds restartedAtTheSameMillisecond = new LeaseIds("main", 42);
        Set<String> all = new HashSet<>();
        Set<String> suffixes = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            for (String id : new String[] {first.next(), restartedAtTheSameMillisecond.next()}) {
                assertThat(all.add(id)).as("unique: %s", id).isTrue();
                suffixes.add(id.substring(id.indexOf('_') + 1));
            }
        }
        // two generators with the same hub, epoch and seq still issue different ids: the suffix is not derived from them
        assertThat(suffixes).hasSize(40_000);
        // every digit position varies (64 bits spread over 13 digits, the first holds the fewest)
        for (int pos = 0; pos < LeaseIds.RANDOM_DIGITS; pos++) {
            Set<Character> seen = new HashSet<>();
            for (String s : suffixes) {
                seen.add(s.charAt(pos));
            }
            assertThat(seen).as("digits at %d", pos).hasSizeGreaterThan(pos == 0 ? 2 : 30);
        }
    }

    @Test
    void randomDigitsCoverTheWholeUnsignedRange() {
        assertThat(LeaseIds.randomDigits(0)).isEqualTo("0000000000000");
        assertThat(LeaseIds.randomDigits(-1)).isEqualTo(Long.toUnsignedString(-1, 36));
        assertThat(LeaseIds.randomDigits(Long.MIN_VALUE)).isEqualTo(Long.toUnsignedString(Long.MIN_VALUE, 36));
        assertThat(LeaseIds.randomDigits(35)).isEqualTo("000000000000z");
    }

    @Test
    void parseReadsIdsWithAndWithoutTheSuffix_andNothingElse() {
        String epoch = Long.toString(2000, 36);
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z")).containsExactly(2000, 71);
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z_0a9z")).containsExactly(2000, 71);
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z_")).isNull();
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z_AB")).isNull();
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z_a-b")).isNull();
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "-1z_a.b")).isNull();
        assertThat(LeaseIds.parse("main-", "main-" + epoch + "_x-1z")).isNull();
        assertThat(LeaseIds.parse("main-", "edge-" + epoch + "-1z_abc")).isNull();
    }

    @Test
    void observeMovesPastReplayedIdsWithOrWithoutSuffix() {
        LeaseIds ids = new LeaseIds("main", 1000);
        ids.observe("main-" + Long.toString(2000, 36) + "-" + Long.toString(41, 36) + "_" + LeaseIds.randomDigits(7));
        assertThat(LeaseIds.parse("main-", ids.next())).containsExactly(2000, 42);
        ids.observe("main-" + Long.toString(2000, 36) + "-" + Long.toString(99, 36));
        assertThat(LeaseIds.parse("main-", ids.next())).containsExactly(2000, 100);
        ids.observe("main-" + Long.toString(1500, 36) + "-zz_abc"); // older: ignored
        assertThat(LeaseIds.parse("main-", ids.next())).containsExactly(2000, 101);
    }

    @Test
    void nonLatin1HubIdsGetTheSameShape() {
        LeaseIds ids = new LeaseIds("hub\u4e2d", 7);
        String id = ids.next();
        assertThat(id).matches("hub\u4e2d-7-0_[0-9a-z]{13}");
        assertThat(LeaseIds.parse("hub\u4e2d-", id)).containsExactly(7, 0);
    }

    @Test
    void settledIdsKeepSuffixedIdsCompactly_bySeq() {
        SettledIds settled = new SettledIds(1_000);
        LeaseIds ids = new LeaseIds("main", 5);
        String a = ids.next();
        String b = ids.next();
        settled.add(a, 0);
        assertThat(settled.contains(a)).isTrue();
        assertThat(settled.contains(b)).isFalse();
        // (hub, epoch, seq) names the lease: a made-up suffix on a settled seq is "already settled", changing nothing
        assertThat(settled.contains(a.substring(0, a.indexOf('_')) + "_" + LeaseIds.randomDigits(1))).isTrue();
        settled.prune(1_000);
        assertThat(settled.contains(a)).isFalse();
        assertThat(settled.size()).isZero();
    }
}
