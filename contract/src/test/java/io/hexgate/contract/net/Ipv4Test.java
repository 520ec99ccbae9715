package io.hexgate.contract.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4Test {
  @Test
  void parsesAndFormatsEveryOctetRange() {
    int a = Ipv4.parse("203.0.113.255");
    assertThat(a).isEqualTo(203 << 24 | 113 << 8 | 255);
    assertThat(Ipv4.format(a)).isEqualTo("203.0.113.255");
    assertThat(Ipv4.format(Ipv4.parse("0.0.0.0"))).isEqualTo("0.0.0.0");
    assertThat(Ipv4.format(-1)).isEqualTo("255.255.255.255");
    assertThat(Ipv4.bytes(a)).containsExactly((byte) 203, 0, 113, (byte) 255);
  }

  @Test
  void rejectsWhatIsNotADottedQuad() {
    for (String bad : new String[] {"1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2..4", "+1.2.3.4", " 1.2.3.4", "0001.2.3.4", "a.b.c.d", "::1"}) {
      assertThatThrownBy(() -> Ipv4.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "' is not an IPv4 address");
    }
  }

  @Test
  void aCidrIsMaskedToItsPrefix() {
    Ipv4.Cidr c = Ipv4.Cidr.parse("10.96.7.9/12");
    assertThat(c).hasToString("10.96.0.0/12");
    assertThat(c.contains(Ipv4.parse("10.111.255.255"))).isTrue();
    assertThat(c.contains(Ipv4.parse("10.112.0.0"))).isFalse();
    assertThat(Ipv4.format(c.broadcast())).isEqualTo("10.111.255.255");
    assertThat(Ipv4.format(c.host(1))).isEqualTo("10.96.0.1");
    assertThat(c.size()).isEqualTo(1 << 20);
    assertThat(c.subnet(24, 3)).hasToString("10.96.3.0/24");
    assertThat(Ipv4.Cidr.parse("1.2.3.4/0")).hasToString("0.0.0.0/0");
  }

  @Test
  void aPrefixWithoutLengthIsAHost() {
    assertThat(Ipv4.parsePrefix("192.0.2.7")).isEqualTo(new Ipv4.Cidr(Ipv4.parse("192.0.2.7"), 32));
    assertThat(Ipv4.parsePrefix("192.0.2.7/24")).hasToString("192.0.2.0/24");
  }

  @Test
  void rejectsBadPrefixLengths() {
    for (String bad : new String[] {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0", "10.0.0.0/1a"}) {
      assertThatThrownBy(() -> Ipv4.Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }
    assertThatThrownBy(() -> new Ipv4.Cidr(0, 33)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4.Cidr.parse("10.0.0.0/8").subnet(9, 2)).hasMessageContaining("no subnet 2 of length /9");
  }
}
