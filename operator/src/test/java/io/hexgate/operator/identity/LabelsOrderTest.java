package io.hexgate.operator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Labels keeps what a TreeSet of the labels keeps, in the same order. */
class LabelsOrderTest {
  @Provide
  Arbitrary<List<Label>> labels() {
    Arbitrary<String> part = Arbitraries.strings().withChars("ab:.").ofMaxLength(3);
    return Combinators.combine(part, part, part).as(Label::new).list().ofMaxSize(8);
  }

  @Property
  void sameAsTreeSet(@ForAll("labels") List<Label> in) {
    List<Label> expected = new ArrayList<>(new TreeSet<>(in));
    List<Label> actual = Labels.of(in).asList();
    assertThat(actual).isEqualTo(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i)).isSameAs(expected.get(i));
    }
  }
}
