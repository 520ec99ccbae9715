package io.hexgate.lab.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.HTTP;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.contract.v1.Layer7;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ReportedFlowTest {
  private static final String DEATHSTAR = "default/deathstar-5b69dfff75-t4l2c";
  private static final Function<String, String> NAMES =
      ip -> Map.of("10.0.1.11", "default/xwing", "10.0.1.12", "default/deathstar-5b69dfff75-t4l2c").getOrDefault(ip, ip);

  private static String line(String src, Verdict verdict, int reason, boolean withPolicy) {
    Flow.Builder f = Flow.newBuilder()
        .setTimeNanos(1_700_000_000_123_000_000L)
        .setSourceIp(src).setSourcePort(41234).setSourceIdentity(300)
        .setDestinationIp("10.0.1.12").setDestinationPort(80).setDestinationIdentity(259)
        .setProtocol(Protocol.PROTOCOL_TCP).setDirection(TrafficDirection.TRAFFIC_DIRECTION_INGRESS)
        .setVerdict(verdict).setDropReason(reason);
    if (withPolicy) {
      f.addPolicies(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1"));
    }
    return FlowLine.format(new FlowLog.Entry("hgd-tnode-2", f.build()), NAMES);
  }

  @Test
  void readsBackWhatAFlowLineShows() {
    assertThat(ReportedFlow.parse(line("10.0.1.11", Verdict.VERDICT_DROPPED, 133, true)))
        .contains(new ReportedFlow("default/xwing", DEATHSTAR, 80, "TCP", "DROPPED", 133, Optional.empty(), List.of("default/rule1"), "hgd-tnode-2"));
    assertThat(ReportedFlow.parse(line("192.0.2.7", Verdict.VERDICT_DROPPED, 180, false)))
        .contains(new ReportedFlow("192.0.2.7", DEATHSTAR, 80, "TCP", "DROPPED", 180, Optional.empty(), List.of(), "hgd-tnode-2"));
    assertThat(ReportedFlow.parse(line("10.0.1.11", Verdict.VERDICT_FORWARDED, 0, false)))
        .contains(new ReportedFlow("default/xwing", DEATHSTAR, 80, "TCP", "FORWARDED", 0, Optional.empty(), List.of(), "hgd-tnode-2"));
    ReportedFlow redirected = ReportedFlow.parse(line("10.0.1.11", Verdict.VERDICT_REDIRECTED, 0, true)).orElseThrow();
    assertThat(redirected.verdict()).isEqualTo("REDIRECTED");
    assertThat(redirected.dropped()).isFalse();
    assertThat(redirected.httpRequest()).isFalse();
  }

  @Test
  void readsBackTheL7ProxysRequestsAndResponsesWithTheServerAsTheResponsesSource() {
    Flow.Builder request = Flow.newBuilder()
        .setTimeNanos(1_700_000_000_123_000_000L).setType(FlowType.FLOW_TYPE_L7)
        .setSourceIp("10.0.1.11").setSourcePort(41234).setSourceIdentity(300)
        .setDestinationIp("10.0.1.12").setDestinationPort(80).setDestinationIdentity(259)
        .setProtocol(Protocol.PROTOCOL_TCP).setDirection(TrafficDirection.TRAFFIC_DIRECTION_INGRESS).setVerdict(Verdict.VERDICT_DROPPED)
        .setL7(Layer7.newBuilder().setType(L7FlowType.L7_FLOW_TYPE_REQUEST)
            .setHttp(HTTP.newBuilder().setMethod("PUT").setUrl("http://deathstar.default.svc.cluster.local/v1/exhaust-port").setProtocol("HTTP/1.1")))
        .addPolicies(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1"))
        .addPolicies(PolicyRef.newBuilder().setKind("CiliumClusterwideNetworkPolicy").setName("audit"));
    ReportedFlow put = ReportedFlow.parse(FlowLine.format(new FlowLog.Entry("n1", request.build()), NAMES)).orElseThrow();
    assertThat(put).isEqualTo(new ReportedFlow("default/xwing", DEATHSTAR, 80, "http-request", "DROPPED", 0,
        Optional.of(new ReportedFlow.Http("HTTP/1.1", 0, "PUT", "http://deathstar.default.svc.cluster.local/v1/exhaust-port")),
        List.of("default/rule1", "audit"), "n1"));
    assertThat(put.httpRequest()).isTrue();

    Flow response = request.clone().setIsReply(true).setVerdict(Verdict.VERDICT_FORWARDED)
        .setSourceIp("10.0.1.12").setSourcePort(80).setDestinationIp("10.0.1.11").setDestinationPort(41234)
        .setL7(Layer7.newBuilder().setType(L7FlowType.L7_FLOW_TYPE_RESPONSE).setLatencyNs(2_500_000)
            .setHttp(HTTP.newBuilder().setCode(403).setMethod("PUT").setUrl("http://deathstar.default.svc.cluster.local/v1/exhaust-port").setProtocol("HTTP/1.1")))
        .build();
    ReportedFlow answered = ReportedFlow.parse(FlowLine.format(new FlowLog.Entry("n1", response), NAMES)).orElseThrow();
    assertThat(answered.source()).isEqualTo(DEATHSTAR);
    assertThat(answered.destination()).isEqualTo("default/xwing");
    assertThat(answered.destinationPort()).isEqualTo(41234);
    assertThat(answered.type()).isEqualTo("http-response");
    assertThat(answered.http()).contains(new ReportedFlow.Http("HTTP/1.1", 403, "PUT", "http://deathstar.default.svc.cluster.local/v1/exhaust-port"));
    assertThat(answered.httpRequest()).isFalse();
  }

  @Test
  void anythingButAFlowIsNone() {
    assertThat(ReportedFlow.parse("")).isEmpty();
    assertThat(ReportedFlow.parse("hexgate lab flows: no lab is running")).isEmpty();
  }
}
