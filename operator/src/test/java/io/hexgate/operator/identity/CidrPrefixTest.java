package io.hexgate.operator.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrPrefixTest {

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.0.0.0/8",
    "10.1.2.3/8, 10.0.0.0/8",
    "192.168.1.77/32, 192.168.1.77/32",
    "0.0.0.0/0, 0.0.0.0/0",
    "172.16.255.1/12, 172.16.0.0/12",
    "2001:db8::/32, 2001:db8::/32",
    "2001:DB8:0:0:1:0:0:1/128, 2001:db8::1:0:0:1/128",
    "2001:db8:0:1:1:1:1:1/48, 2001:db8::/48",
    "::/0, ::/0",
    "::1/128, ::1/128",
    "fe80::1:2/10, fe80::/10",
    "1:0:0:2:0:0:0:3/128, 1:0:0:2::3/128",
    "1:0:0:2:0:0:3:4/128, 1::2:0:0:3:4/128",
    "::ffff:10.1.2.3/128, ::ffff:10.1.2.3/128",
    "1:2:3:4:5:6:7:8/128, 1:2:3:4:5:6:7:8/128",
    "1:2:3:4:5:6:0:8/128, 1:2:3:4:5:6:0:8/128",
  })
  void shouldParseAndPrintCanonically(String text, String canonical) {
    assertThat(CidrPrefix.parse(text)).hasToString(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.0",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/08",
        "10.0.0.0/",
        "10.0.0/8",
        "10.0.0.0.0/8",
        "256.0.0.0/8",
        "010.0.0.0/8",
        "10..0.0/8",
        "host.example/8",
        "2001:db8::/129",
        "2001:db8:::/32",
        "2001:db8::1::2/64",
        "12345::/16",
        "1:2:3:4:5:6:7:8:9/128",
        "1:2:3:4:5:6:7::8/128",
        ":1::/16",
        "1:/16",
        "fe80::1%eth0/64",
        "/8",
        " 10.0.0.0/8"
      })
  void shouldRejectMalformedPrefix(String text) {
    assertThatThrownBy(() -> CidrPrefix.parsePrefix(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid CIDR \"" + text + "\": ");
  }

  @Test
  void shouldExplainWhyAPrefixIsInvalid() {
    assertThatThrownBy(() -> CidrPrefix.parse("10.0.0.0/33"))
        .hasMessage("invalid CIDR \"10.0.0.0/33\": prefix length out of range (0-32 for IPv4)");
    assertThatThrownBy(() -> CidrPrefix.parse("300.0.0.0/8"))
        .hasMessage("invalid CIDR \"300.0.0.0/8\": IPv4 field has value >255");
  }

  @Test
  void shouldTakeBareAddressAsHostPrefixUnlessPrefixNotationIsRequired() {
    assertThat(CidrPrefix.parse("192.0.2.1")).hasToString("192.0.2.1/32");
    assertThat(CidrPrefix.parse("2001:db8::1")).hasToString("2001:db8::1/128");
    assertThat(CidrPrefix.parse("192.0.2.0/24")).hasToString("192.0.2.0/24");
    assertThatThrownBy(() -> CidrPrefix.parsePrefix("192.0.2.1")).hasMessageContaining("no '/'");
    assertThatThrownBy(() -> CidrPrefix.parse("")).hasMessageContaining("IP must be specified");
    assertThatThrownBy(() -> CidrPrefix.parse("not-an-ip"))
        .hasMessageContaining("unable to parse IP");
  }

  @Test
  void shouldContainLongerPrefixesOfTheSameFamilyOnly() {
    CidrPrefix ten = CidrPrefix.parse("10.0.0.0/8");
    assertThat(ten.contains(CidrPrefix.parse("10.96.0.0/12"))).isTrue();
    assertThat(ten.contains(CidrPrefix.parse("10.0.0.0/8"))).isTrue();
    assertThat(ten.contains(CidrPrefix.parse("10.0.0.0/7"))).isFalse();
    assertThat(ten.contains(CidrPrefix.parse("11.0.0.0/16"))).isFalse();
    assertThat(ten.contains(CidrPrefix.parse("::ffff:10.0.0.0/104"))).isFalse();
    assertThat(CidrPrefix.parse("0.0.0.0/0").contains(CidrPrefix.parse("::/0"))).isFalse();
  }

  @Test
  void shouldContainAddressesInsideThePrefix() {
    CidrPrefix net = CidrPrefix.parse("192.168.4.0/22");
    assertThat(net.contains(CidrPrefix.parseAddress("192.168.7.255"))).isTrue();
    assertThat(net.contains(CidrPrefix.parseAddress("192.168.8.0"))).isFalse();
    assertThat(net.contains(CidrPrefix.parseAddress("::1"))).isFalse();
    CidrPrefix v6 = CidrPrefix.parse("2001:db8:abcd::/47");
    assertThat(v6.contains(CidrPrefix.parseAddress("2001:db8:abcd:ffff::1"))).isTrue();
    assertThat(v6.contains(CidrPrefix.parseAddress("2001:db8:abce::1"))).isFalse();
  }

  @Test
  void shouldCompareByNormalisedValue() {
    assertThat(CidrPrefix.parse("10.1.2.3/8")).isEqualTo(CidrPrefix.parse("10.0.0.0/8"));
    assertThat(CidrPrefix.parse("10.1.2.3/8").hashCode())
        .isEqualTo(CidrPrefix.parse("10.0.0.0/8").hashCode());
    assertThat(CidrPrefix.parse("10.0.0.0/8")).isNotEqualTo(CidrPrefix.parse("10.0.0.0/9"));
  }

  @Test
  void shouldNotLetCallersMutateTheAddress() {
    CidrPrefix p = CidrPrefix.parse("10.0.0.0/8");
    p.address()[0] = 99;
    assertThat(p).hasToString("10.0.0.0/8");
  }
}
