package io.hexgate.datapath.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Namespaces, threads inside them and the node/pod topology, with real packets and no datapath. */
class ClusterNetworkTest {
  private static final String PREFIX = "hga-nt-";
  private static ClusterNetwork net;
  private static PodNetwork a1;
  private static PodNetwork a2;
  private static PodNetwork b1;

  @BeforeAll
  static void build() {
    NetNs.unavailable().ifPresent(why -> Assumptions.abort("skipping namespace tests: " + why));
    net = ClusterNetwork.create(PREFIX);
    NodeNetwork n1 = net.addNode("n1", 1);
    NodeNetwork n2 = net.addNode("n2", 2);
    a1 = n1.addPod("default", "a1");
    a2 = n1.addPod("default", "a2");
    b1 = n2.addPod("other", "b1", "10.0.2.77");
  }

  @AfterAll
  static void tearDown() {
    if (net != null) {
      net.close();
    }
  }

  @Test
  void podsReachEachOtherOnOneNodeAndAcrossNodesWithTheirOwnAddresses() throws Exception {
    try (EchoServer s2 = EchoServer.start(a2, 8080);
        EchoServer sb = EchoServer.start(b1, 8080);
        EchoServer s1 = EchoServer.start(a1, 9090);
        NetNsThread inA1 = a1.enter();
        NetNsThread inB1 = b1.enter()) {
      assertThat(TcpProbe.attempt(inA1, a2.ip(), 8080, Duration.ofSeconds(2))).isEqualTo(TcpProbe.Outcome.ANSWERED);
      assertThat(TcpProbe.attempt(inA1, "10.0.2.77", 8080, Duration.ofSeconds(2))).isEqualTo(TcpProbe.Outcome.ANSWERED);
      assertThat(TcpProbe.attempt(inB1, a1.ip(), 9090, Duration.ofSeconds(2))).isEqualTo(TcpProbe.Outcome.ANSWERED);
      assertThat(TcpProbe.attempt(inB1, a1.ip(), 9091, Duration.ofSeconds(2))).isEqualTo(TcpProbe.Outcome.REFUSED);
      try (TcpProbe.Connection c = TcpProbe.Connection.open(inA1, "10.0.2.77", 8080, Duration.ofSeconds(2))) {
        assertThat(c.exchange("one")).isEqualTo("b1:one");
        assertThat(c.exchange("two")).isEqualTo("b1:two");
      }
    }
  }

  @Test
  void aThreadInANodeSeesTheNodesInterfacesAndTheProcessBpffs() throws Exception {
    NodeNetwork n1 = net.node("n1");
    try (NetNsThread t = n1.enter()) {
      assertThat(t.call(() -> NetNs.ifIndex(a1.hostSide()))).isPositive();
      assertThat(t.call(() -> NetNs.ifIndex(NodeNetwork.UPLINK))).isPositive();
      assertThat(t.call(() -> NetNs.ifIndex(b1.hostSide()))).isZero();
      assertThat(t.call(NetNs::interfaces))
          .containsOnlyKeys("lo", NodeNetwork.UPLINK, a1.hostSide(), a2.hostSide())
          .containsEntry(a1.hostSide(), t.call(() -> NetNs.ifIndex(a1.hostSide())));
      io.hexgate.datapath.pin.BpfFs.ensureMounted(io.hexgate.datapath.pin.BpfFs.DEFAULT_MOUNT);
      java.nio.file.Files.createDirectories(n1.pinDir());
      assertThat(t.call(() -> java.nio.file.Files.isDirectory(n1.pinDir()))).isTrue();
      assertThat(t.call(() -> io.hexgate.datapath.pin.BpfFs.isMounted(io.hexgate.datapath.pin.BpfFs.DEFAULT_MOUNT))).isTrue();
    }
    assertThat(NetNs.ifIndex(a1.hostSide())).as("not in the root namespace").isZero();
  }

  @Test
  void enteringAMissingNamespaceNamesIt() {
    assertThatThrownBy(() -> NetNsThread.enter(PREFIX + "missing"))
        .isInstanceOf(NetNsException.class)
        .hasMessageContaining(PREFIX + "missing");
  }

  @Test
  void cleanupRemovesWhatACrashedRunLeft() throws Exception {
    String prefix = "hga-cu-";
    ClusterNetwork left = ClusterNetwork.create(prefix);
    NodeNetwork n = left.addNode("n1", 1);
    n.addPod("default", "p");
    Files.createDirectories(n.pinDir().resolve("sub"));
    // no close(): as if the run crashed
    ClusterNetwork.cleanup(prefix);
    assertThat(NetNs.list()).noneMatch(s -> s.startsWith(prefix));
    assertThat(Commands.check("ip", "-o", "link", "show").stdout()).doesNotContain(prefix);
    assertThat(n.pinDir()).doesNotExist();
    ClusterNetwork.cleanup(prefix); // idempotent
  }

  @Test
  void aCommandInsideAPodRunsThere() {
    Commands.Result r = NetNs.exec(a1.netns(), Duration.ofSeconds(5), "ip", "-o", "-4", "addr", "show", "dev", "eth0");
    assertThat(r.orThrow().stdout()).contains(a1.ip() + "/32");
  }
}
