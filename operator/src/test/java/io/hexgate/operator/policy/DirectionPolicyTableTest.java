package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** DirectionPolicy's own hash table behaves as the map of remote identity to term list it replaced. */
class DirectionPolicyTableTest {
  private static final List<Term> TERMS = new ArrayList<>();

  static {
    for (int i = 0; i < 4; i++) {
      TERMS.add(new Term(PolicyRef.cnp("ns", "p" + i), "spec", Direction.INGRESS, i == 3, false, List.of(), null, null));
    }
  }

  /** An operation: add term {@code term} for {@code remote}, or clear {@code remote} when term < 0. */
  record Op(long remote, int term) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Long> remote =
        Arbitraries.oneOf(Arbitraries.longs().between(0, 40), Arbitraries.longs().between(16_777_217L, 16_777_300L));
    Arbitrary<Integer> term = Arbitraries.integers().between(-1, TERMS.size() - 1);
    return net.jqwik.api.Combinators.combine(remote, term).as(Op::new).list().ofMaxSize(300);
  }

  @Property(tries = 300)
  void behavesAsAMap(@ForAll("ops") List<Op> ops) {
    DirectionPolicy dp = new DirectionPolicy(true);
    Map<Long, List<Term>> model = new HashMap<>();
    for (Op op : ops) {
      if (op.term() < 0) {
        dp.clear(op.remote());
        model.remove(op.remote());
      } else {
        dp.add(op.remote(), TERMS.get(op.term()));
        model.computeIfAbsent(op.remote(), r -> new ArrayList<>()).add(TERMS.get(op.term()));
      }
    }
    assertThat(dp.byRemote()).isEqualTo(model);
    for (long r = -1; r <= 41; r++) {
      assertThat(dp.terms(r)).isEqualTo(model.getOrDefault(r, List.of()));
    }
    assertThat(dp.entryCount()).isEqualTo(model.values().stream().mapToInt(List::size).sum());
    assertThat(dp.hashCode()).isEqualTo(model.hashCode() * 2 + 1);

    // Same content built in another order: equal, same hash.
    DirectionPolicy other = new DirectionPolicy(true);
    List<Long> remotes = new ArrayList<>(model.keySet());
    java.util.Collections.reverse(remotes);
    for (long r : remotes) {
      model.get(r).forEach(t -> other.add(r, t));
    }
    assertThat(other).isEqualTo(dp);
    assertThat(other.hashCode()).isEqualTo(dp.hashCode());
    assertThat(new DirectionPolicy(false)).isNotEqualTo(new DirectionPolicy(true));
  }
}
