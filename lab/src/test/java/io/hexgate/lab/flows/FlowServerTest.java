package io.hexgate.lab.flows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
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
