package io.hexgate.datapath.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

  /** Sends a line to ip:port from inside {@code from} and returns the echoed line. */
  private static String roundTrip(PodNetwork from, String ip, int port) throws Exception {
    try (NetNsThread t = from.enter()) {
      return t.call(
          () -> {
            try (Socket s = new Socket()) {
              s.connect(new InetSocketAddress(ip, port), 2000);
              s.setSoTimeout(2000);
              OutputStream out = s.getOutputStream();
              out.write("hello\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
              s.shutdownOutput();
              return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            }
          });
    }
  }

  /** Accepts one connection in {@code pod} and answers what it read, prefixed by the pod's name. */
  private static ServerSocket echoOnce(PodNetwork pod, int port) throws Exception {
    ServerSocket server;
    try (NetNsThread t = pod.enter()) {
      server = t.call(() -> new ServerSocket(port, 5, java.net.InetAddress.getByName(pod.ip())));
    }
    Thread accept =
        new Thread(
            () -> {
              try (Socket c = server.accept(); InputStream in = c.getInputStream()) {
                String line = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
                c.getOutputStream().write((pod.name() + ":" + line + ":" + c.getInetAddress().getHostAddress()).getBytes(StandardCharsets.US_ASCII));
              } catch (Exception ignored) {
                // the test's assertion on the client side reports it
              }
            });
    accept.setDaemon(true);
    accept.start();
    return server;
  }

  @Test
  void podsReachEachOtherOnOneNodeAndAcrossNodesWithTheirOwnAddresses() throws Exception {
    try (ServerSocket s = echoOnce(a2, 8080)) {
      assertThat(roundTrip(a1, a2.ip(), 8080)).isEqualTo("a2:hello:" + a1.ip());
    }
    try (ServerSocket s = echoOnce(b1, 8080)) {
      assertThat(roundTrip(a1, "10.0.2.77", 8080)).isEqualTo("b1:hello:" + a1.ip());
    }
    try (ServerSocket s = echoOnce(a1, 9090)) {
      assertThat(roundTrip(b1, a1.ip(), 9090)).isEqualTo("a1:hello:10.0.2.77");
    }
  }

  @Test
  void aThreadInANodeSeesTheNodesInterfacesAndTheProcessBpffs() throws Exception {
    NodeNetwork n1 = net.node("n1");
    try (NetNsThread t = n1.enter()) {
      assertThat(t.call(() -> NetNs.ifIndex(a1.hostSide()))).isPositive();
      assertThat(t.call(() -> NetNs.ifIndex(NodeNetwork.UPLINK))).isPositive();
      assertThat(t.call(() -> NetNs.ifIndex(b1.hostSide()))).isZero();
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
