package io.hexgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deny list's text form in the CA Secret, and how an edit with mistakes is taken. */
class RevocationListTest {
  @Test
  void shouldReadSerialsInTheFormsOpensslAndPeopleWrite() {
    RevocationList.Parsed p =
        RevocationList.parse(
            """
            # serial node note
            3f9a0c51d2e4b6a7   node-a   disk stolen 2026-12-05

            3F:9A:0C:51:D2:E4:B6:A8 node-b
            0x0a node-c
            """);
    assertThat(p.errors()).isEmpty();
    assertThat(p.list().entries())
        .containsEntry(new BigInteger("3f9a0c51d2e4b6a7", 16), "node-a")
        .containsEntry(new BigInteger("3f9a0c51d2e4b6a8", 16), "node-b")
        .containsEntry(BigInteger.TEN, "node-c")
        .hasSize(3);
  }

  @Test
  void shouldNameTheLinesItCannotRead() {
    RevocationList.Parsed p = RevocationList.parse("node-a 3f9a\nzz node-b\nabc\n");
    assertThat(p.errors()).hasSize(3);
    assertThat(p.errors().get(0)).startsWith("line 1:").contains("'node-a'");
    assertThat(p.errors().get(1)).startsWith("line 2:").contains("'zz'");
    assertThat(p.errors().get(2)).startsWith("line 3:").contains("names no node");
    // a line whose serial is clear is honoured even without its node
    assertThat(p.list().revoked(new BigInteger("abc", 16))).isTrue();
  }

  @Test
  void shouldKeepWhatIsRevokedWhenAnEditCannotBeRead() {
    RevokedCertificates r = new RevokedCertificates();
    List<RevocationList> seen = new ArrayList<>();
    r.onChange(seen::add);
    r.update("aa node-a\n", "test");
    assertThat(r.revoked(BigInteger.valueOf(0xaa))).isTrue();
    // a typo in the same edit that lists another certificate must not un-revoke the first
    r.update("a-a node-a\nbb node-b\n", "test");
    assertThat(r.revoked(BigInteger.valueOf(0xaa))).isTrue();
    assertThat(r.revoked(BigInteger.valueOf(0xbb))).isTrue();
    // a clean list is taken as it is: removing a line un-revokes
    r.update("bb node-b\n", "test");
    assertThat(r.revoked(BigInteger.valueOf(0xaa))).isFalse();
    assertThat(seen).hasSize(3);
    r.update("bb node-b\n", "test");
    assertThat(seen).hasSize(3);
  }

  @Test
  void shouldAppendAndKeepWhatPeopleWrote() {
    String text = "# revoked by ops\naa node-a lost\n";
    String after = RevocationList.append(text, BigInteger.valueOf(0xbb), "node-b", "decommissioned");
    assertThat(after).isEqualTo("# revoked by ops\naa node-a lost\nbb node-b decommissioned\n");
    assertThat(RevocationList.append(after, BigInteger.valueOf(0xbb), "node-b", "again")).isEqualTo(after);
    assertThat(RevocationList.parse(RevocationList.append("", BigInteger.ONE, "n", null)).list().revoked(BigInteger.ONE))
        .isTrue();
  }
}
