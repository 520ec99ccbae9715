package io.hexgate.operator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The allocation-free comparisons order exactly as comparing the joined strings did. */
class JoinedStringsTest {
  @Provide
  Arbitrary<String> parts() {
    // Characters on both sides of the separators, so that prefixes and separators interact.
    return Arbitraries.strings().withChars("ab-./:=zé").ofMinLength(0).ofMaxLength(5);
  }

  @Property
  void twoParts(@ForAll("parts") String a1, @ForAll("parts") String a2, @ForAll("parts") String b1, @ForAll("parts") String b2) {
    assertThat(JoinedStrings.compare('/', a1, a2, b1, b2)).isEqualTo((a1 + "/" + a2).compareTo(b1 + "/" + b2));
    assertThat(JoinedStrings.compare(':', a1, a2, b1, b2)).isEqualTo((a1 + ":" + a2).compareTo(b1 + ":" + b2));
  }

  @Property
  void labelsEndpointKeysAndPolicyRefs(
      @ForAll("parts") String a1, @ForAll("parts") String a2, @ForAll("parts") String a3,
      @ForAll("parts") String b1, @ForAll("parts") String b2, @ForAll("parts") String b3) {
    Label la = new Label(a1, a2, a3);
    Label lb = new Label(b1, b2, b3);
    int byString = la.sourceKey().compareTo(lb.sourceKey());
    assertThat(Integer.signum(la.compareTo(lb))).isEqualTo(Integer.signum(byString != 0 ? byString : a3.compareTo(b3)));

    Endpoint.Key ka = new Endpoint.Key(a1, a2);
    Endpoint.Key kb = new Endpoint.Key(b1, b2);
    assertThat(ka.compareTo(kb)).isEqualTo(ka.toString().compareTo(kb.toString()));

    PolicyRef ra = new PolicyRef(a1, a2, a3);
    PolicyRef rb = new PolicyRef(b1, b2, b3);
    assertThat(ra.compareTo(rb)).isEqualTo(ra.toString().compareTo(rb.toString()));
    PolicyRef ca = new PolicyRef(a1, "", a3);
    assertThat(ca.compareTo(rb)).isEqualTo(ca.toString().compareTo(rb.toString()));
    assertThat(rb.compareTo(ca)).isEqualTo(rb.toString().compareTo(ca.toString()));
  }
}
