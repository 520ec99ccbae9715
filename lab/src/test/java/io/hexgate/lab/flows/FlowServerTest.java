package io.hexgate.lab.flows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HTTP;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.Layer7;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class FlowServerTest {
  private static final Function<String, String> NAMES =
      ip -> Map.of("10.0.1.11", "default/xwing", "10.0.2.10", "default/tiefighter", "10.0.1.12", "default/deathstar-5b69dfff75-t4l2c")
          .getOrDefault(ip, ip);

  private static Flow flow(long timeSeconds, String src, int sport, String dst, Verdict verdict, int reason) {
    return Flow.newBuilder()
        .setTimeNanos(timeSeconds * 1_000_000_000L)
        .setSourceIp(src).setSourcePort(sport).setSourceIdentity(300)
        .setDestinationIp(dst).setDestinationPort(80).setDestinationIdentity(259)
        .setProtocol(Protocol.PROTOCOL_TCP)
        .setDirection(TrafficDirection.TRAFFIC_DIRECTION_INGRESS)
        .setVerdict(verdict).setDropReason(reason)
        .build();
  }

  @Test
  void aLineNamesPodsPortsVerdictReasonPolicyAndNode() {
    Flow f = flow(0, "10.0.1.11", 41234, "10.0.1.12", Verdict.VERDICT_DROPPED, 133).toBuilder()
        .addPolicies(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1")).build();
    assertThat(FlowLine.format(new FlowLog.Entry("node-1", f), NAMES))
        .isEqualTo("Jan 01 00:00:00.000  default/xwing:41234 (ID:300) -> default/deathstar-5b69dfff75-t4l2c:80 (ID:259)  TCP ingress"
            + "  DROPPED (Policy denied, reason 133)  policy default/rule1  [node-1]");
    assertThat(FlowLine.format(new FlowLog.Entry("node-2", flow(0, "192.0.2.1", 5, "10.0.1.12", Verdict.VERDICT_FORWARDED, 0)), NAMES))
        .contains("192.0.2.1:5 (ID:300) -> default/deathstar", "  FORWARDED  [node-2]");
  }

  private static final String LANDING = "http://deathstar.default.svc.cluster.local/v1/request-landing";

  private static Flow l7(long timeSeconds, L7FlowType type, Verdict verdict, String method, int code) {
    boolean response = type == L7FlowType.L7_FLOW_TYPE_RESPONSE;
    Flow f = flow(timeSeconds, "10.0.2.10", 5555, "10.0.1.12", verdict, 0);
    Flow.Builder b = f.toBuilder().setType(FlowType.FLOW_TYPE_L7).setIsReply(response).setProxyPort(15001)
        .addPolicies(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1"))
        .setL7(Layer7.newBuilder().setType(type).setLatencyNs(response ? 3_400_000 : 0)
            .setHttp(HTTP.newBuilder().setCode(code).setMethod(method).setUrl(LANDING).setProtocol("HTTP/1.1")));
    if (response) {
      b.setSourceIp(f.getDestinationIp()).setSourcePort(f.getDestinationPort()).setSourceIdentity(f.getDestinationIdentity())
          .setDestinationIp(f.getSourceIp()).setDestinationPort(f.getSourcePort()).setDestinationIdentity(f.getSourceIdentity());
    }
    return b.build();
  }

  @Test
  void theL7ProxysRequestsAndResponsesReadAsHubblePrintsThem() {
    String pair = "default/tiefighter:5555 (ID:300) -> default/deathstar-5b69dfff75-t4l2c:80 (ID:259)";
    assertThat(FlowLine.format(new FlowLog.Entry("node-1", l7(0, L7FlowType.L7_FLOW_TYPE_REQUEST, Verdict.VERDICT_FORWARDED, "POST", 0)), NAMES))
        .isEqualTo("Jan 01 00:00:00.000  " + pair + "  http-request ingress  FORWARDED (HTTP/1.1 POST " + LANDING + ")"
            + "  policy default/rule1  [node-1]");
    // the response comes from the deathstar, and is shown as Hubble shows it: the client on the left, <-
    assertThat(FlowLine.format(new FlowLog.Entry("node-1", l7(0, L7FlowType.L7_FLOW_TYPE_RESPONSE, Verdict.VERDICT_FORWARDED, "POST", 200)), NAMES))
        .isEqualTo("Jan 01 00:00:00.000  " + pair.replace(" -> ", " <- ") + "  http-response ingress"
            + "  FORWARDED (HTTP/1.1 200 3ms (POST " + LANDING + "))  policy default/rule1  [node-1]");
    assertThat(FlowLine.format(new FlowLog.Entry("node-1", l7(0, L7FlowType.L7_FLOW_TYPE_REQUEST, Verdict.VERDICT_DROPPED, "PUT", 0)), NAMES))
        .contains(pair + "  http-request ingress  DROPPED (HTTP/1.1 PUT " + LANDING + ")  policy default/rule1");
    Flow redirected = flow(0, "10.0.2.10", 5555, "10.0.1.12", Verdict.VERDICT_REDIRECTED, 0).toBuilder().setType(FlowType.FLOW_TYPE_L3_L4).build();
    assertThat(FlowLine.format(new FlowLog.Entry("node-1", redirected), NAMES)).endsWith(pair + "  TCP ingress  REDIRECTED  [node-1]");
  }

  @Test
  void selectsFlowsByProtocolAndType() throws Exception {
    FlowLog log = new FlowLog(100);
    log.received("node-1", FlowBatch.newBuilder()
        .addFlows(flow(1, "10.0.2.10", 5555, "10.0.1.12", Verdict.VERDICT_REDIRECTED, 0).toBuilder().setType(FlowType.FLOW_TYPE_L3_L4))
        .addFlows(l7(2, L7FlowType.L7_FLOW_TYPE_REQUEST, Verdict.VERDICT_FORWARDED, "POST", 0))
        .addFlows(l7(3, L7FlowType.L7_FLOW_TYPE_RESPONSE, Verdict.VERDICT_FORWARDED, "POST", 200))
        .addFlows(flow(4, "10.0.1.11", 1111, "10.0.1.12", Verdict.VERDICT_DROPPED, 133).toBuilder().setProtocol(Protocol.PROTOCOL_UDP))
        .build());
    try (FlowServer server = FlowServer.start(log, NAMES)) {
      HttpClient http = HttpClient.newHttpClient();
      Function<String, HttpResponse<String>> get = q -> {
        try {
          return http.send(HttpRequest.newBuilder(URI.create(server.url() + "?last=10" + q)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      assertThat(get.apply("&protocol=http").body().lines()).hasSize(2).allMatch(l -> l.contains("http-"));
      assertThat(get.apply("&type=L7&pod=tiefighter").body().lines()).hasSize(2).allMatch(l -> l.contains("http-"));
      assertThat(get.apply("&type=l3-l4").body().lines()).hasSize(2).noneMatch(l -> l.contains("http-"));
      // the proxy's flows travel on TCP, as the redirected connection does
      assertThat(get.apply("&protocol=TCP").body().lines()).hasSize(3).noneMatch(l -> l.contains("UDP"));
      assertThat(get.apply("&protocol=udp&pod=xwing").body()).contains("xwing:1111").hasLineCount(1);
      HttpResponse<String> bad = get.apply("&protocol=gopher");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("protocol: gopher is none of");
      assertThat(get.apply("&type=trace").body()).contains("type: trace is none of l7, l3-l4");
    }
  }

  @Test
  void aFilterIsWhatTheQueryItBecomesSays() {
    FlowFilter filter = new FlowFilter("deathstar", "HTTP", "l7");
    assertThat(filter.pod()).isEqualTo("default/deathstar");
    assertThat(FlowFilter.parse("last=3" + filter.query())).isEqualTo(filter);
    assertThat(FlowFilter.ALL.query()).isEmpty();
    assertThat(FlowFilter.parse("pod=kube-system%2Fcoredns").pod()).isEqualTo("kube-system/coredns");
    assertThatThrownBy(() -> FlowFilter.pod("")).hasMessage("pod: empty");
  }

  @Test
  void theLogKeepsTheNewestFlowsUpToItsCapacity() {
    FlowLog log = new FlowLog(3);
    for (int i = 1; i <= 5; i++) {
      log.received("node-1", FlowBatch.newBuilder().addFlows(flow(i, "10.0.1.11", i, "10.0.1.12", Verdict.VERDICT_FORWARDED, 0)).build());
    }
    assertThat(log.last(10)).extracting(e -> e.flow().getSourcePort()).containsExactly(3, 4, 5);
    assertThat(log.last(2)).extracting(e -> e.flow().getSourcePort()).containsExactly(4, 5);
    assertThatThrownBy(() -> new FlowLog(0)).hasMessageContaining("capacity");
  }

  @Test
  void servesTheLastFlowsOfAPodInTimeOrder() throws Exception {
    FlowLog log = new FlowLog(100);
    // node-2's batch arrives after node-1's although its flow happened first
    log.received("node-1", FlowBatch.newBuilder()
        .addFlows(flow(20, "10.0.1.11", 1111, "10.0.1.12", Verdict.VERDICT_DROPPED, 133))
        .addFlows(flow(30, "10.0.2.10", 2222, "192.0.2.9", Verdict.VERDICT_FORWARDED, 0)).build());
    log.received("node-2", FlowBatch.newBuilder().addFlows(flow(10, "10.0.2.10", 3333, "10.0.1.12", Verdict.VERDICT_FORWARDED, 0)).build());
    try (FlowServer server = FlowServer.start(log, NAMES)) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> deathstar = http.send(HttpRequest.newBuilder(URI.create(server.url() + "?last=5&pod=deathstar")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(deathstar.statusCode()).isEqualTo(200);
      assertThat(deathstar.body().lines().toList()).hasSize(2)
          .satisfies(l -> assertThat(l.get(0)).contains("tiefighter:3333", "FORWARDED", "[node-2]"))
          .satisfies(l -> assertThat(l.get(1)).contains("xwing:1111", "DROPPED (Policy denied, reason 133)", "[node-1]"));
      HttpResponse<String> last = http.send(HttpRequest.newBuilder(URI.create(server.url() + "?last=1")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(last.body()).contains("tiefighter:2222 (ID:300) -> 192.0.2.9:80").hasLineCount(1);
      HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(server.url() + "?last=x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("last: not a number: x");
    }
  }
}
