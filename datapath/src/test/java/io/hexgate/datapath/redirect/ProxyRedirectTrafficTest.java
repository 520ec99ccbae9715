package io.hexgate.datapath.redirect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static io.hexgate.datapath.redirect.PodRules.allow;
import static io.hexgate.datapath.redirect.PodRules.allowAll;
import static io.hexgate.datapath.redirect.PodRules.redirect;
import static io.hexgate.datapath.redirect.PodRules.rules;
import static org.awaitility.Awaitility.await;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.ProxyMarks;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.enforce.BpfDatapathOptions;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NetSnmp;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.datapath.proxy.ProxyDirection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections a REDIRECT entry covers reach a transparent listener registered with {@link
 * BpfDatapath#proxyListener}, keep their addresses both ways, and the listener's upstream from the client's
 * own address and port reaches the server and gets its answers back: the kernel side of the L7 proxy, on
 * real TCP between pods in network namespaces. With no listener the connection is dropped (178), and ports
 * without a REDIRECT entry are not affected. Root only.
 *
 * <pre>
 *   node n1: server 10.0.1.10 (echo on 80 and 81), client 10.0.1.11
 * </pre>
 */
class ProxyRedirectTrafficTest {
  private static final String PREFIX = "hga-l7-";
  private static final Duration ALLOWED = Duration.ofSeconds(3);
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final long ID_SERVER = 1001;
  private static final long ID_CLIENT = 1002;

  private static ClusterNetwork net;
  private static NodeNetwork n1;
  private static PodNetwork server;
  private static PodNetwork client;
  private static NetNsThread node;
  private static NetNsThread inClient;
  private static final List<AutoCloseable> closeables = new ArrayList<>();
  private static final List<Flow> flows = new CopyOnWriteArrayList<>();
  private static BpfDatapath datapath;
  private static EchoServer echo80;
  private static long revision;
  private TransparentRelay relay;

  @BeforeAll
  static void setUp() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the L7 redirect test: " + why));
    net = ClusterNetwork.create(PREFIX);
    n1 = net.addNode("n1", 1);
    server = n1.addPod("default", "server", "10.0.1.10");
    client = n1.addPod("default", "client", "10.0.1.11");
    echo80 = EchoServer.start(server, 80);
    closeables.add(echo80);
    closeables.add(EchoServer.start(server, 81));
    node = n1.enter();
    inClient = client.enter();
    // strict reverse-path filtering would refuse the ingress proxy's packets on lo: the datapath lowers it
    NetNs.sysctl(n1.netns(), "net.ipv4.conf.all.rp_filter", "1");
    datapath = BpfDatapath.open(new BpfDatapathOptions(n1.netns(), n1.pinDir(), n1.netns(), List.of(n1.uplink()),
        Duration.ofSeconds(1)).withoutL7Proxy(), flows::add, null);
    assertThat(sysctl("net.ipv4.conf.all.rp_filter")).isEqualTo("0");
    assertThat(sysctl("net.ipv4.conf.lo.rp_filter")).isEqualTo("0");
    assertThat(sysctl("net.ipv4.tcp_early_demux")).as("a proxied tuple's packets from the uplink are forwarded")
        .isEqualTo("0");
  }

  private static String sysctl(String key) {
    return NetNs.exec(n1.netns(), Duration.ofSeconds(5), "sysctl", "-n", key).orThrow().stdout().trim();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (datapath != null) {
      datapath.uninstall();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (node != null) {
      node.close();
      inClient.close();
    }
    if (net != null) {
      net.close();
    }
  }

  @AfterEach
  void closeRelay() {
    if (relay != null) {
      relay.close();
    }
  }

  @Test
  void ingressRedirectReachesTheListenerAndItsUpstreamTheServer() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_INGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.INGRESS, relay.fd());

    assertRelayed();
    assertThat(TcpProbe.attempt(inClient, server.ip(), 81, ALLOWED)).isEqualTo(Outcome.ANSWERED);
    assertThat(relay.accepted).as("a port without REDIRECT is not the proxy's").isEmpty();
  }

  @Test
  void egressRedirectReachesTheListenerAndItsUpstreamTheServer() throws Exception {
    apply(rules(redirect(ID_SERVER, 80), allow(ID_SERVER, 81)), rules(allow(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_EGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.EGRESS, relay.fd());

    assertRelayed();
    assertThat(TcpProbe.attempt(inClient, server.ip(), 81, ALLOWED)).isEqualTo(Outcome.ANSWERED);
    assertThat(relay.accepted).as("a port without REDIRECT is not the proxy's").isEmpty();
  }

  @Test
  void withoutAListenerARedirectedConnectionIsDroppedAndOthersPass() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_INGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.INGRESS, relay.fd());
    assertRelayed();
    relay.close(); // its socket leaves hg_proxy_sockets by itself
    relay = null;
    flows.clear();

    assertThat(TcpProbe.attempt(inClient, server.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(flows)
        .anySatisfy(f -> {
          assertThat(f.getDropReason()).isEqualTo(DropReasons.DROP_PROXY_LOOKUP_FAILED);
          assertThat(f.getSourceIp()).isEqualTo(client.ip());
          assertThat(f.getDestinationIp()).isEqualTo(server.ip());
        }));
    assertThat(TcpProbe.attempt(inClient, server.ip(), 81, ALLOWED)).isEqualTo(Outcome.ANSWERED);
  }

  @Test
  void aRestartedProxyEndsProxiedConnectionsLeavesOthersAndTakesNewOnes() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_INGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.INGRESS, relay.fd());
    TcpProbe.Connection proxied = TcpProbe.Connection.open(inClient, server.ip(), 80, ALLOWED);
    TcpProbe.Connection plain = TcpProbe.Connection.open(inClient, server.ip(), 81, ALLOWED);
    try (proxied; plain) {
      assertThat(proxied.exchange("one")).isEqualTo("server:one");
      assertThat(plain.exchange("one")).isEqualTo("server:one");

      relay.close(); // the proxy goes: the kernel closes its sockets
      relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_INGRESS_PROXY);
      datapath.proxyListener(ProxyDirection.INGRESS, relay.fd());

      assertThatThrownBy(() -> proxied.exchange("two")).isInstanceOf(java.io.IOException.class);
      assertThat(plain.exchange("two")).isEqualTo("server:two");
      assertRelayed();
    }
  }

  /**
   * The server closes first, so the relay closes its side to the client first and the node holds that
   * accepted socket (S:80 ← C:port) in TIME_WAIT, while the client, which closed passively, may take the same
   * port again at once. Its SYN must still reach the proxy: the kernel refuses to queue a connection whose
   * tuple a TIME_WAIT socket holds, so a SYN handed straight to the listener was dropped without a word for
   * the minute TIME_WAIT lasts. Met by the stack, the TIME_WAIT socket reopens the connection with whatever
   * listens at S:80 in the node's namespace, here the node's own service on every address, where
   * proxy_reopen hands it the proxy's listener instead.
   */
  @Test
  void aClientTakingItsPortAgainAfterTheIngressProxyClosedFirstIsServed() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_INGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.INGRESS, relay.fd());
    assertPortTakenAgainIsServed(41_234);
  }

  @Test
  void aClientTakingItsPortAgainAfterTheEgressProxyClosedFirstIsServed() throws Exception {
    apply(rules(redirect(ID_SERVER, 80), allow(ID_SERVER, 81)), rules(allow(ID_CLIENT, 80), allow(ID_CLIENT, 81)));
    relay = TransparentRelay.start(node, ProxyMarks.MARK_FROM_EGRESS_PROXY);
    datapath.proxyListener(ProxyDirection.EGRESS, relay.fd());
    assertPortTakenAgainIsServed(41_235);
  }

  private void assertPortTakenAgainIsServed(int port) throws Exception {
    try (EchoServer nodeOwn = EchoServer.start(node, "node", "0.0.0.0", 80)) {
      try (TcpProbe.Connection first = TcpProbe.Connection.open(inClient, port, server.ip(), 80, ALLOWED)) {
        assertThat(first.exchange("one")).isEqualTo("server:one");
        echo80.closeConnections();
        assertThat(first.closedByPeer()).isTrue();
      }
      String tuple = "src " + server.ip() + ":80 dst " + client.ip() + ":" + port;
      await().atMost(Duration.ofSeconds(5)).until(() -> !NetNs.exec(n1.netns(), Duration.ofSeconds(5),
          "sh", "-c", "ss -Htn state time-wait " + tuple).orThrow().stdout().isBlank());

      long retransmitted = clientRetransmissions();
      try (TcpProbe.Connection again = TcpProbe.Connection.open(inClient, port, server.ip(), 80, ALLOWED)) {
        assertThat(again.exchange("two")).isEqualTo("server:two");
      }
      assertThat(clientRetransmissions()).as("the first SYN was answered").isEqualTo(retransmitted);
    }
  }

  /** The TCP segments the client's namespace sent again. */
  private static long clientRetransmissions() throws Exception {
    return NetSnmp.counter(inClient, "Tcp", "RetransSegs");
  }

  /** client → server:80 is answered by the server through the relay, which saw the original addresses. */
  private void assertRelayed() throws Exception {
    TcpProbe.Connection c = TcpProbe.Connection.open(inClient, server.ip(), 80, ALLOWED);
    try (c) {
      assertThat(c.exchange("hello")).isEqualTo("server:hello");
      TransparentRelay.Accepted a = relay.accepted.poll(5, TimeUnit.SECONDS);
      assertThat(a).isNotNull();
      assertThat(a.local()).isEqualTo(new InetSocketAddress(server.ip(), 80));
      assertThat(a.remote().getAddress().getHostAddress()).isEqualTo(client.ip());
      assertThat(c.exchange("again")).isEqualTo("server:again");
    }
  }

  // ------------------------------------------------------------------------------------------ state

  private static void apply(RuleMap clientEgress, RuleMap serverIngress) throws Exception {
    AgentState s = new PodRules.TwoPods(server, ID_SERVER, client, ID_CLIENT)
        .state(++revision, clientEgress, serverIngress, Map.of());
    assertThat(datapath.apply(StateUpdate.getDefaultInstance(), s)).isEmpty();
  }
}
