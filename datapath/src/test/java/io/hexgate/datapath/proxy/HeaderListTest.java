package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Fields found by name in any case, the first of several, and still after the list changed. */
class HeaderListTest {
  @Test
  void namesTheProxyReadsAreFoundInAnyCaseAndTheFirstValueWins() {
    HeaderList h = HeaderList.of("Content-Length", "5", "HOST", "a.example", "content-length", "6", "X-Id", "7");

    assertThat(h.get("content-length")).isEqualTo("5");
    assertThat(h.get(new String("CONTENT-LENGTH"))).isEqualTo("5");
    assertThat(h.get("host")).isEqualTo("a.example");
    assertThat(h.count("content-length")).isEqualTo(2);
    assertThat(h.getAll("content-length")).containsExactly("5", "6");
    assertThat(h.get("x-id")).isEqualTo("7");
    assertThat(h.get("expect")).isNull();
    assertThat(h.contains("transfer-encoding")).isFalse();
    assertThat(h.modified()).isFalse();
  }

  @Test
  void aRemovedFieldIsGoneAndTheOthersAreFoundWhereTheyMoved() {
    HeaderList h = HeaderList.of("Upgrade", "websocket", "Connection", "Upgrade", "Host", "b.example",
        "Expect", "100-continue");

    h.remove("upgrade");
    h.remove("Connection");

    assertThat(h.get("upgrade")).isNull();
    assertThat(h.contains("connection")).isFalse();
    assertThat(h.get("host")).isEqualTo("b.example");
    assertThat(h.get("expect")).isEqualTo("100-continue");
    assertThat(h.size()).isEqualTo(2);
    assertThat(h.modified()).isTrue();
  }

  @Test
  void setReplacesEveryFieldOfTheNameWithOne() {
    HeaderList h = HeaderList.of("connection", "keep-alive", "Host", "c.example", "Connection", "Upgrade");

    h.set("connection", "close");

    assertThat(h.getAll("connection")).containsExactly("close");
    assertThat(h.containsToken("connection", "upgrade")).isFalse();
    assertThat(h.get("host")).isEqualTo("c.example");
    assertThat(h.name(h.size() - 1)).isEqualTo("connection");
  }
}
