package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HTTPHeader;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.flow.hubble.FlowNames;
import io.hexgate.datapath.flow.hubble.HubbleFlows;
import io.hexgate.observer.metrics.HubbleMetrics;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy in plain mode on loopback, in front of a real HTTP server. */
class L7ProxyTest {
  private static final PolicyRef POLICY =
      PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();
  private static final List<HttpMatch> RULES = List.of(
      HttpMatch.newBuilder().setMethod("GET").setPath("/(ok|slow|chunked|ws)(/.*)?").build(),
      HttpMatch.newBuilder().setMethod("POST").setPath("/v1/request").build());

  private final List<Flow> flows = new CopyOnWriteArrayList<>();
  private EchoBackend backend;
  private L7Proxy proxy;

  @BeforeEach
  void setUp() throws Exception {
    backend = new EchoBackend();
    proxy = start(ProxyOptions.plain(backend.address()));
  }

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    backend.close();
  }

  private L7Proxy start(ProxyOptions options) {
    L7Policy policy = (d, client, server) -> Optional.of(new ConnectionPolicy(100, 200, RULES, List.of(POLICY)));
    return L7Proxy.start(options, policy, flows::add);
  }

  private RawHttp connect() throws Exception {
    return new RawHttp(proxy.address(ProxyDirection.INGRESS));
  }

  private static String get(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: deathstar\r\n\r\n";
  }

  @Test
  void forwardsAnAllowedRequestWithItsBody() throws Exception {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nContent-Length: 5\r\n\r\nhello")
          .read();
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("POST /v1/request\nhello");
    }
  }

  @Test
  void deniesWithExactly403AccessDeniedAndTheConnectionStaysUsable() throws Exception {
    try (RawHttp c = connect()) {
      RawHttp.Response denied = c.send("POST /v1/request-landing HTTP/1.1\r\nHost: deathstar\r\n"
          + "Content-Length: 3\r\n\r\nabc").read();
      assertThat(denied.raw()).isEqualTo("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
          + "content-length: 15\r\n\r\nAccess denied\r\n");
      assertThat(c.send(get("/ok")).read().body()).isEqualTo("GET /ok\n");
    }
    assertThat(backend.seen).extracting(EchoBackend.Seen::target).containsExactly("/ok");
  }

  @Test
  void keepsOneUpstreamConnectionPerClientConnection() throws Exception {
    try (RawHttp c = connect()) {
      for (int i = 0; i < 3; i++) {
        assertThat(c.send(get("/ok/" + i)).read().code()).isEqualTo(200);
      }
    }
    assertThat(backend.seen).hasSize(3);
    assertThat(backend.seen.stream().map(EchoBackend.Seen::clientPort).distinct()).hasSize(1);
  }

  @Test
  void streamsChunkedRequestsAndResponses() throws Exception {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").read();
      assertThat(r.body()).isEqualTo("POST /v1/request\nhello world");
      RawHttp.Response chunked = c.send(get("/chunked")).read();
      assertThat(chunked.headers()).containsEntry("transfer-encoding", "chunked");
      assertThat(chunked.body()).isEqualTo("GET /chunked\n");
    }
  }

  @Test
  void answersPipelinedRequestsStrictlyInOrder() throws Exception {
    try (RawHttp c = connect()) {
      c.send(get("/slow") + get("/denied") + get("/ok/2") + get("/denied/again"));
      assertThat(c.read().body()).isEqualTo("GET /slow\n");
      assertThat(c.read().code()).isEqualTo(403);
      assertThat(c.read().body()).isEqualTo("GET /ok/2\n");
      assertThat(c.read().code()).isEqualTo(403);
      assertThat(c.send(get("/ok/3")).read().code()).isEqualTo(200);
    }
  }

  @Test
  void forwardsExpectContinueAndRefusesADeniedOneWithoutItsBody() throws Exception {
    try (RawHttp c = connect()) {
      c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
      assertThat(c.read().code()).isEqualTo(100);
      RawHttp.Response r = c.send("body").read();
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("POST /v1/request\nbody");
    }
    try (RawHttp c = connect()) {
      c.send("POST /secret HTTP/1.1\r\nHost: deathstar\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
      RawHttp.Response r = c.read();
      assertThat(r.code()).isEqualTo(403);
      assertThat(r.body()).isEqualTo("Access denied\r\n");
    }
  }

  @Test
  void stripsAnUpgradeTheRulesDoNotAskFor() throws Exception {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("GET /ws HTTP/1.1\r\nHost: deathstar\r\nUpgrade: websocket\r\n"
          + "Connection: keep-alive, Upgrade\r\n\r\n").read();
      assertThat(r.code()).isEqualTo(200);
    }
    EchoBackend.Seen seen = backend.seen.get(0);
    assertThat(seen.headers()).doesNotContainKey("Upgrade");
    assertThat(seen.headers().get("Connection")).containsExactly("keep-alive");
  }

  @Test
  void relaysAnUpgradeTheMatchingRuleAsksFor() throws Exception {
    try (ServerSocket upgrading = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> switchAndEcho(upgrading));
      server.start();
      proxy.close();
      List<HttpMatch> rules = List.of(HttpMatch.newBuilder().setPath("/echo").addHeaders("Upgrade: echo").build());
      proxy = L7Proxy.start(ProxyOptions.plain((InetSocketAddress) upgrading.getLocalSocketAddress()),
          (d, client, srv) -> Optional.of(new ConnectionPolicy(1, 2, rules, List.of())), flows::add);
      try (RawHttp c = connect()) {
        RawHttp.Response r = c.send("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
            .read();
        assertThat(r.code()).isEqualTo(101);
        c.send("ping\n");
        assertThat(c.read(5)).isEqualTo("ping\n");
      }
      server.join(5_000);
    }
  }

  /** Answers one upgrade request with 101, then echoes the raw bytes. */
  private static void switchAndEcho(ServerSocket s) {
    try (java.net.Socket c = s.accept()) {
      java.io.InputStream in = c.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.read());
      }
      c.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      c.getOutputStream().write(in.readNBytes(5));
      c.getOutputStream().flush();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aBadRequestLineGets400AndClosesOnlyItsConnection() throws Exception {
    malformed("GARBAGE\r\n\r\n", 400);
  }

  @Test
  void anOversizedHeaderSectionGets431() throws Exception {
    malformed("GET /ok HTTP/1.1\r\nHost: deathstar\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n", 431);
  }

  @Test
  void aClientStallingInItsHeadersGets408() throws Exception {
    malformed("GET /ok HTTP/1.1\r\nHost: dea", 408);
  }

  @Test
  void aBodyLongerThanItsContentLengthGets400() throws Exception {
    proxy.close();
    proxy = start(small());
    try (RawHttp c = connect(); RawHttp other = connect()) {
      c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nContent-Length: 2\r\n\r\nhello\r\n\r\n");
      assertThat(c.read().body()).isEqualTo("POST /v1/request\nhe");
      assertThat(c.read().code()).isEqualTo(400);
      assertThat(c.closedByPeer()).isTrue();
      assertThat(other.send(get("/ok")).read().code()).isEqualTo(200);
    }
  }

  @Test
  void aBrokenChunkGets400() throws Exception {
    try (RawHttp c = connect()) {
      c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");
      assertThat(c.read().code()).isEqualTo(400);
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  private ProxyOptions small() {
    return ProxyOptions.plain(backend.address())
        .withLimits(256, 1024, Duration.ofMillis(300), 100);
  }

  private void malformed(String request, int status) throws Exception {
    proxy.close();
    proxy = start(small());
    try (RawHttp c = connect(); RawHttp other = connect()) {
      assertThat(other.send(get("/ok/1")).read().code()).isEqualTo(200);
      RawHttp.Response r = c.send(request).read();
      assertThat(r.code()).isEqualTo(status);
      assertThat(r.headers()).containsEntry("connection", "close");
      assertThat(c.closedByPeer()).isTrue();
      assertThat(other.send(get("/ok/2")).read().code()).isEqualTo(200);
    }
  }

  @Test
  void emitsAFlowPerRequestAndPerResponseWithSecretsHidden() throws Exception {
    int clientPort;
    try (RawHttp c = connect()) {
      clientPort = c.localPort();
      c.send("GET /ok/a?x=1 HTTP/1.1\r\nHost: deathstar\r\nAuthorization: Bearer t0ken\r\nCookie: a=b\r\n\r\n").read();
      c.send(get("/denied")).read();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> flows.size() == 4);
    Flow req = flows.get(0);
    assertThat(req.getType()).isEqualTo(FlowType.FLOW_TYPE_L7);
    assertThat(req.getL7().getType()).isEqualTo(L7FlowType.L7_FLOW_TYPE_REQUEST);
    assertThat(req.getVerdict()).isEqualTo(Verdict.VERDICT_FORWARDED);
    assertThat(req.getIsReply()).isFalse();
    assertThat(req.getSourceIp()).isEqualTo("127.0.0.1");
    assertThat(req.getSourcePort()).isEqualTo(clientPort);
    assertThat(req.getDestinationPort()).isEqualTo(backend.address().getPort());
    assertThat(req.getSourceIdentity()).isEqualTo(100);
    assertThat(req.getDestinationIdentity()).isEqualTo(200);
    assertThat(req.getDirection()).isEqualTo(TrafficDirection.TRAFFIC_DIRECTION_INGRESS);
    assertThat(req.getPoliciesList()).containsExactly(POLICY);
    assertThat(req.getProxyPort()).isEqualTo(proxy.address(ProxyDirection.INGRESS).getPort());
    assertThat(req.getL7().getHttp().getMethod()).isEqualTo("GET");
    assertThat(req.getL7().getHttp().getUrl()).isEqualTo("http://deathstar/ok/a?x=1");
    assertThat(req.getL7().getHttp().getProtocol()).isEqualTo("HTTP/1.1");
    assertThat(req.getL7().getHttp().getHeadersList())
        .extracting(HTTPHeader::getKey, HTTPHeader::getValue)
        .contains(org.assertj.core.groups.Tuple.tuple("Authorization", "HUBBLE_REDACTED"),
            org.assertj.core.groups.Tuple.tuple("Cookie", "HUBBLE_REDACTED"),
            org.assertj.core.groups.Tuple.tuple("Host", "deathstar"));

    Flow resp = flows.get(1);
    assertThat(resp.getL7().getType()).isEqualTo(L7FlowType.L7_FLOW_TYPE_RESPONSE);
    assertThat(resp.getIsReply()).isTrue();
    assertThat(resp.getL7().getHttp().getCode()).isEqualTo(200);
    assertThat(resp.getL7().getLatencyNs()).isPositive();
    assertThat(resp.getSourcePort()).isEqualTo(backend.address().getPort());
    assertThat(resp.getDestinationPort()).isEqualTo(clientPort);
    assertThat(resp.getSourceIdentity()).isEqualTo(200);
    assertThat(resp.getL7().getHttp().getHeadersList())
        .filteredOn(h -> h.getKey().equalsIgnoreCase("Set-Cookie"))
        .extracting(HTTPHeader::getValue)
        .containsExactly("HUBBLE_REDACTED");

    assertThat(flows.get(2).getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
    assertThat(flows.get(2).getL7().getHttp().getUrl()).isEqualTo("http://deathstar/denied");
    assertThat(flows.get(3).getL7().getHttp().getCode()).isEqualTo(403);

    // the proxy's flows as the agent counts them in Hubble's metrics (9965)
    HubbleMetrics metrics = HubbleMetrics.parse("http");
    HubbleFlows hubble = new HubbleFlows("node-1", new FlowNames());
    flows.forEach(f -> metrics.onFlow(hubble.toHubble(f)));
    assertThat(metrics.scrape())
        .contains("hubble_http_requests_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\"} 2.0")
        .contains("hubble_http_responses_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\",status=\"200\"} 1.0")
        .contains("hubble_http_responses_total{method=\"GET\",protocol=\"HTTP/1.1\",reporter=\"server\",status=\"403\"} 1.0")
        .contains("hubble_http_request_duration_seconds_bucket{method=\"GET\",reporter=\"server\",le=\"10.0\"} 2")
        .contains("hubble_http_request_duration_seconds_count{method=\"GET\",reporter=\"server\"} 2");
  }

  @Test
  void answers503WithAFlowWhenTheServerIsUnreachable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    proxy.close();
    proxy = start(ProxyOptions.plain(new InetSocketAddress("127.0.0.1", closedPort)));
    try (RawHttp c = connect()) {
      assertThat(c.send(get("/ok")).read().code()).isEqualTo(503);
      assertThat(c.send(get("/denied")).read().code()).isEqualTo(403);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> flows.size() == 4);
    assertThat(flows.get(1).getL7().getHttp().getCode()).isEqualTo(503);
  }

  @Test
  void refusesConnectionsOverTheLimitWithADroppedFlow() throws Exception {
    proxy.close();
    proxy = start(ProxyOptions.plain(backend.address()).withLimits(256, 1024, Duration.ofSeconds(5), 1));
    try (RawHttp first = connect()) {
      assertThat(first.send(get("/ok")).read().code()).isEqualTo(200);
      try (RawHttp second = connect()) {
        assertThat(second.closedByPeer()).isTrue();
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> flows.size() == 3);
      assertThat(flows.get(2).getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
      assertThat(first.send(get("/ok")).read().code()).isEqualTo(200);
    }
  }

  @Test
  void killDropsEveryConnectionAndANewProxyServesAgain() throws Exception {
    RawHttp c = connect();
    assertThat(c.send(get("/ok")).read().code()).isEqualTo(200);
    proxy.kill();
    assertThat(c.closedByPeer()).isTrue();
    c.close();
    proxy = start(ProxyOptions.plain(backend.address()));
    try (RawHttp again = connect()) {
      assertThat(again.send(get("/ok")).read().code()).isEqualTo(200);
    }
  }
}
