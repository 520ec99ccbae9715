package io.hexgate.datapath.redirect;

import static io.hexgate.datapath.redirect.PodRules.allow;
import static io.hexgate.datapath.redirect.PodRules.allowAll;
import static io.hexgate.datapath.redirect.PodRules.redirect;
import static io.hexgate.datapath.redirect.PodRules.rules;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HeaderMatch;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.MismatchAction;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.enforce.BpfDatapathOptions;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.datapath.proxy.L7Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's L7 proxy as the eBPF datapath runs it, on real HTTP between pods in network namespaces: the
 * server's ingress HTTP rules and the client's egress ones judged per request ({@code 403 Access denied},
 * the connection still usable), the same client L7-filtered on one port and plainly allowed on another, a
 * malformed request, the L7 flows, and the proxy killed: L7 traffic fails closed (178), other traffic does
 * not notice, and the restarted proxy serves again. Root only.
 *
 * <pre>
 *   node n1: server 10.0.1.30 (HTTP on 80 and 8080), client 10.0.1.31
 *   node n2: remote 10.0.2.31 (no agent on n2: its packets reach n1 unfiltered; n1 knows it as the client's identity)
 * </pre>
 */
class L7ProxyTrafficTest {
  private static final String PREFIX = "hga-l7p-";
  private static final Duration ALLOWED = Duration.ofSeconds(3);
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final long ID_SERVER = 2001;
  private static final long ID_CLIENT = 2002;
  private static final HttpMatch LANDING = HttpMatch.newBuilder().setMethod("POST").setPath("/v1/request-landing").build();
  private static final HttpMatch PILOT_READS =
      HttpMatch.newBuilder().setMethod("GET|HEAD").setPath("/v1/.*").addHeaders("X-Pilot").build();

  private static ClusterNetwork net;
  private static NodeNetwork n1;
  private static PodNetwork server;
  private static PodNetwork client;
  private static PodNetwork remote;
  private static NetNsThread inClient;
  private static NetNsThread inRemote;
  private static final List<AutoCloseable> closeables = new ArrayList<>();
  private static final List<Flow> flows = new CopyOnWriteArrayList<>();
  private static BpfDatapath datapath;
  private static long revision;

  @BeforeAll
  static void setUp() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the L7 proxy traffic test: " + why));
    net = ClusterNetwork.create(PREFIX);
    n1 = net.addNode("n1", 1);
    server = n1.addPod("default", "server", "10.0.1.30");
    client = n1.addPod("default", "client", "10.0.1.31");
    remote = net.addNode("n2", 2).addPod("default", "remote", "10.0.2.31");
    closeables.add(LandingApi.start(server, 80));
    closeables.add(LandingApi.start(server, 8080));
    inClient = client.enter();
    inRemote = remote.enter();
    datapath = BpfDatapath.open(new BpfDatapathOptions(n1.netns(), n1.pinDir(), n1.netns(), List.of(n1.uplink()),
        Duration.ofSeconds(1)), flows::add, null);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (datapath != null) {
      datapath.uninstall();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (inClient != null) {
      inClient.close();
      inRemote.close();
    }
    if (net != null) {
      net.close();
    }
  }

  @BeforeEach
  void ingressRulesOnPort80() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80, LANDING, PILOT_READS), allow(ID_CLIENT, 8080)));
    await().atMost(Duration.ofSeconds(20)).until(() -> datapath.l7Proxy() != null && datapath.l7Proxy().serving());
    flows.clear();
  }

  @Test
  void eachRequestIsJudgedByTheServersIngressRulesOnOneConnection() throws Exception {
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      RawHttp.Response landed = c.request("POST", "/v1/request-landing", "");
      assertThat(landed.status()).isEqualTo(200);
      assertThat(landed.body()).isEqualTo("Ship landed\n");
      assertThat(landed.header("X-Seen-From")).as("the server sees the client's own address").isEqualTo(client.ip());

      RawHttp.Response exhaust = c.request("PUT", "/v1/exhaust-port", "");
      assertThat(exhaust.status()).isEqualTo(403);
      assertThat(exhaust.body()).isEqualTo("Access denied\r\n");

      assertThat(c.request("POST", "/v1/request", "").status()).as("the path is anchored at its end").isEqualTo(403);
      assertThat(c.request("POST", "/v1/request-landing/x", "").status()).isEqualTo(403);
      assertThat(c.request("GET", "/v1/info", "").status()).as("a header rule without its header").isEqualTo(403);
      assertThat(c.request("GET", "/v1/info", "", "X-Pilot: luke").status()).as("the union's second rule")
          .isEqualTo(200);
      assertThat(c.request("DELETE", "/v1/info", "", "X-Pilot: luke").status()).as("the method regex").isEqualTo(403);
      assertThat(c.request("POST", "/v1/request-landing", "").body()).as("still usable after denials")
          .isEqualTo("Ship landed\n");
    }
  }

  @Test
  void aClientOnAnotherNodeIsJudgedByTheSameRulesThroughTheUplink() throws Exception {
    // its packets come from the uplink and are forwarded to the server's interface: the proxy's own socket
    // of the same tuple must not catch them on the way (early demux)
    try (RawHttp c = RawHttp.open(inRemote, server.ip(), 80, ALLOWED)) {
      RawHttp.Response landed = c.request("POST", "/v1/request-landing", "");
      assertThat(landed.body()).isEqualTo("Ship landed\n");
      assertThat(landed.header("X-Seen-From")).isEqualTo(remote.ip());
      assertThat(c.request("PUT", "/v1/exhaust-port", "").body()).isEqualTo("Access denied\r\n");
      assertThat(c.request("POST", "/v1/request-landing", "").status()).isEqualTo(200);
    }
  }

  @Test
  void anEmptyRuleListAllowsEveryRequestAndAMismatchActionRewritesTheHeader() throws Exception {
    apply(allowAll(), rules(redirect(ID_CLIENT, 80)));
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      assertThat(c.request("PUT", "/v1/exhaust-port", "").status()).isEqualTo(200);
    }
    HttpMatch tieOnly = HttpMatch.newBuilder().setPath("/v1/request-landing").addHeaderMatches(
        HeaderMatch.newBuilder().setName("X-Ship").setValue("tie").setMismatch(MismatchAction.MISMATCH_ACTION_REPLACE))
        .build();
    apply(allowAll(), rules(redirect(ID_CLIENT, 80, tieOnly)));
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      RawHttp.Response r = c.request("POST", "/v1/request-landing", "", "X-Ship: xwing");
      assertThat(r.status()).as("a mismatch action does not refuse").isEqualTo(200);
      assertThat(r.header("X-Seen-Ship")).as("REPLACE rewrote the value").isEqualTo("tie");
      assertThat(c.request("PUT", "/v1/exhaust-port", "", "X-Ship: tie").status()).isEqualTo(403);
    }
  }

  @Test
  void theEgressProxysUpstreamIsStillJudgedByTheServersIngress() throws Exception {
    // GHSA-hxv8-4j4r-cqgv: a connection the client's egress sends through the proxy must still meet the
    // server's ingress policy when the proxy forwards it; here that policy admits the client on 80 only
    apply(rules(redirect(ID_SERVER, 8080)), rules(allow(ID_CLIENT, 80)));
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 8080, ALLOWED)) {
      assertThat(c.request("GET", "/public", "").status()).as("the proxy could not reach the server").isEqualTo(503);
    }
    assertThat(flows).anySatisfy(f -> {
      assertThat(f.getDropReason()).isEqualTo(DropReasons.DROP_POLICY);
      assertThat(f.getDirection()).isEqualTo(TrafficDirection.TRAFFIC_DIRECTION_INGRESS);
      assertThat(f.getDestinationPort()).isEqualTo(8080);
    });
  }

  @Test
  void theSameClientIsL7FilteredOnOnePortAndPlainlyAllowedOnAnother() throws Exception {
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 8080, ALLOWED)) {
      RawHttp.Response r = c.request("PUT", "/v1/exhaust-port", "");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-Seen-Method")).isEqualTo("PUT");
    }
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      assertThat(c.request("PUT", "/v1/exhaust-port", "").status()).isEqualTo(403);
    }
    assertThat(flows).filteredOn(f -> f.getType() == FlowType.FLOW_TYPE_L7)
        .as("only port 80 went through the proxy").allSatisfy(f -> assertThat(
            f.getIsReply() ? f.getSourcePort() : f.getDestinationPort()).isEqualTo(80));
  }

  @Test
  void everyRequestAndResponseIsAnL7FlowWithItsVerdictAndPolicy() throws Exception {
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      c.request("POST", "/v1/request-landing", "", "Authorization: Bearer secret");
      c.request("PUT", "/v1/exhaust-port", "");
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(l7(L7FlowType.L7_FLOW_TYPE_REQUEST)).anySatisfy(f -> {
        assertThat(f.getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
        assertThat(f.getL7().getHttp().getMethod()).isEqualTo("PUT");
        assertThat(f.getL7().getHttp().getUrl()).isEqualTo("http://deathstar/v1/exhaust-port");
        assertThat(f.getDirection()).isEqualTo(TrafficDirection.TRAFFIC_DIRECTION_INGRESS);
        assertThat(f.getSourceIp()).isEqualTo(client.ip());
        assertThat(f.getSourceIdentity()).isEqualTo(ID_CLIENT);
        assertThat(f.getDestinationIdentity()).isEqualTo(ID_SERVER);
        assertThat(f.getPoliciesList()).containsExactly(PodRules.POLICY);
      });
      assertThat(l7(L7FlowType.L7_FLOW_TYPE_REQUEST)).anySatisfy(f -> {
        assertThat(f.getVerdict()).isEqualTo(Verdict.VERDICT_FORWARDED);
        assertThat(f.getL7().getHttp().getHeadersList())
            .anySatisfy(h -> assertThat(h.getValue()).as(h.getKey()).isEqualTo("HUBBLE_REDACTED"));
      });
      assertThat(l7(L7FlowType.L7_FLOW_TYPE_RESPONSE)).anySatisfy(f -> {
        assertThat(f.getL7().getHttp().getCode()).isEqualTo(200);
        assertThat(f.getIsReply()).isTrue();
        assertThat(f.getSourceIp()).isEqualTo(server.ip());
      });
    });
  }

  @Test
  void aMalformedRequestIsAnswered400AndOtherConnectionsGoOn() throws Exception {
    try (RawHttp bad = RawHttp.open(inClient, server.ip(), 80, ALLOWED);
        RawHttp good = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      bad.write("THIS IS NOT HTTP\r\n\r\n");
      assertThat(bad.read().status()).isEqualTo(400);
      assertThat(good.request("POST", "/v1/request-landing", "").status()).isEqualTo(200);
    }
  }

  /**
   * A connection the proxy ends (a malformed request after an allowed one) leaves the client free to take its
   * port again at once, while the node holds the proxy's accepted socket of it in TIME_WAIT: the next
   * connection from that port must reach the proxy (proxy_reopen). The upstream borrowed the client's port:
   * reset, it leaves nothing behind that would refuse the next upstream from the port (503), as an upstream
   * still closing did now and then.
   */
  @Test
  void aClientTakingItsPortAgainAfterTheProxyEndedItsConnectionIsServed() throws Exception {
    int port = 42_345;
    try (RawHttp c = RawHttp.open(inClient, port, server.ip(), 80, ALLOWED)) {
      assertThat(c.request("POST", "/v1/request-landing", "").status()).isEqualTo(200);
      c.write("THIS IS NOT HTTP\r\n\r\n");
      assertThat(c.read().status()).isEqualTo(400);
      assertThat(c.closedByPeer()).isTrue();
    }
    String upstream = "src " + client.ip() + ":" + port + " dst " + server.ip() + ":80";
    assertThat(NetNs.exec(n1.netns(), Duration.ofSeconds(5), "sh", "-c", "ss -Htan " + upstream).orThrow().stdout())
        .as("the upstream of the ended connection").isBlank();
    try (RawHttp again = RawHttp.open(inClient, port, server.ip(), 80, ALLOWED)) {
      assertThat(again.request("POST", "/v1/request-landing", "").body()).isEqualTo("Ship landed\n");
    }
  }

  @Test
  void theClientsEgressRulesAreJudgedToo() throws Exception {
    HttpMatch publicOnly = HttpMatch.newBuilder().setMethod("GET").setPath("/public").build();
    apply(rules(redirect(ID_SERVER, 8080, publicOnly)), rules(allow(ID_CLIENT, 8080)));
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 8080, ALLOWED)) {
      RawHttp.Response ok = c.request("GET", "/public", "");
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.header("X-Seen-From")).isEqualTo(client.ip());
      assertThat(c.request("GET", "/private", "").status()).isEqualTo(403);
    }
    assertThat(flows).filteredOn(f -> f.getType() == FlowType.FLOW_TYPE_L7 && !f.getIsReply())
        .allSatisfy(f -> assertThat(f.getDirection()).isEqualTo(TrafficDirection.TRAFFIC_DIRECTION_EGRESS));
  }

  @Test
  void aKilledProxyFailsL7TrafficClosedLeavesOtherTrafficAndComesBack() throws Exception {
    L7Proxy killed = datapath.l7Proxy();
    killed.kill();
    assertThat(TcpProbe.attempt(inClient, server.ip(), 80, DENIED)).as("no proxy: the SYN is dropped")
        .isEqualTo(Outcome.TIMED_OUT);
    try (RawHttp plain = RawHttp.open(inClient, server.ip(), 8080, ALLOWED)) {
      assertThat(plain.request("PUT", "/v1/exhaust-port", "").status()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(flows)
        .anySatisfy(f -> assertThat(f.getDropReason()).isEqualTo(DropReasons.DROP_PROXY_LOOKUP_FAILED)));

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .until(() -> datapath.l7Proxy() != null && datapath.l7Proxy() != killed && datapath.l7Proxy().serving());
    try (RawHttp c = RawHttp.open(inClient, server.ip(), 80, ALLOWED)) {
      assertThat(c.request("POST", "/v1/request-landing", "").body()).isEqualTo("Ship landed\n");
      assertThat(c.request("PUT", "/v1/exhaust-port", "").status()).isEqualTo(403);
    }
  }

  private static List<Flow> l7(L7FlowType type) {
    return flows.stream().filter(f -> f.getType() == FlowType.FLOW_TYPE_L7 && f.getL7().getType() == type).toList();
  }

  private static void apply(RuleMap clientEgress, RuleMap serverIngress) throws Exception {
    AgentState s = new PodRules.TwoPods(server, ID_SERVER, client, ID_CLIENT)
        .state(++revision, clientEgress, serverIngress, Map.of(remote.ip() + "/32", ID_CLIENT));
    assertThat(datapath.apply(StateUpdate.getDefaultInstance(), s)).isEmpty();
  }
}
