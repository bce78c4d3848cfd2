package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunOwnersTest {
  private static final URI A = URI.create("http://10.0.0.1:8080");
  private static final URI B = URI.create("http://10.0.0.2:8080");
  private static final URI C = URI.create("http://10.0.0.3:8080");
  private static final URI D = URI.create("http://10.0.0.4:8080");

  private static List<RunKey> runs(int n) {
    List<RunKey> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(new RunKey("team-" + (i % 3), "project-" + (i % 7), "run" + i));
    }
    return keys;
  }

  @Test
  void shouldPickTheSameOwnerWhateverTheOrderOfThePeersAndOnEveryCall() {
    RunOwners one = new RunOwners(List.of(A, B, C));
    RunOwners other = new RunOwners(List.of(C, A, B));
    for (RunKey key : runs(2_000)) {
      assertThat(other.owner(key)).as("%s", key).isEqualTo(one.owner(key));
      assertThat(one.owner(key)).as("%s", key).isEqualTo(one.owner(key));
    }
    // Fixed values (SHA-256 of "peer\0team\0project\0run\0", computed apart): a change of the
    // hash would send runs to another server mid-run when servers of two versions share the work.
    assertThat(RunOwners.weight(A, new RunKey("t", "p", "r"))).isEqualTo(4100018484124571632L);
    assertThat(one.owner(new RunKey("vision", "tinyllm", "abc123"))).isEqualTo(A);
  }

  @Test
  void shouldTellRunsApartByTeamProjectAndRunId() {
    RunOwners owners = new RunOwners(List.of(A, B, C, D));
    Map<URI, Integer> byTeam = new HashMap<>();
    Map<URI, Integer> byProject = new HashMap<>();
    for (int i = 0; i < 400; i++) {
      byTeam.merge(owners.owner(new RunKey("team" + i, "p", "same")), 1, Integer::sum);
      byProject.merge(owners.owner(new RunKey("t", "project" + i, "same")), 1, Integer::sum);
    }
    assertThat(byTeam).containsOnlyKeys(A, B, C, D);
    assertThat(byProject).containsOnlyKeys(A, B, C, D);
  }

  @Test
  void shouldSpreadRunsEvenlyOverThePeers() {
    RunOwners owners = new RunOwners(List.of(A, B, C));
    Map<URI, Integer> count = new HashMap<>();
    List<RunKey> keys = runs(30_000);
    keys.forEach(k -> count.merge(owners.owner(k), 1, Integer::sum));
    // 10,000 expected each; a binomial standard deviation is about 82, so 9,500 is > 6 sigma.
    assertThat(count).containsOnlyKeys(A, B, C);
    assertThat(count.values()).allSatisfy(n -> assertThat(n).isBetween(9_500, 10_500));
  }

  @Test
  void shouldMoveOnlyTheRunsANewPeerTakes() {
    RunOwners three = new RunOwners(List.of(A, B, C));
    RunOwners four = new RunOwners(List.of(A, B, C, D));
    int moved = 0;
    List<RunKey> keys = runs(20_000);
    for (RunKey key : keys) {
      URI before = three.owner(key);
      URI after = four.owner(key);
      if (!after.equals(before)) {
        assertThat(after).as("%s moved to an old peer", key).isEqualTo(D);
        moved++;
      }
    }
    // About a quarter moves to the new peer, nothing else.
    assertThat(moved).isBetween(4_500, 5_500);
  }

  @Test
  void shouldGiveEveryRunToTheOnlyPeer() {
    RunOwners alone = new RunOwners(List.of(A));
    assertThat(runs(100)).allSatisfy(k -> assertThat(alone.owner(k)).isEqualTo(A));
    assertThatThrownBy(() -> new RunOwners(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one");
  }
}
