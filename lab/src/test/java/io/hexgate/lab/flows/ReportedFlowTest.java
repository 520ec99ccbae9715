package io.hexgate.lab.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.TrafficDirection;
import io.hexgate.contract.v1.Verdict;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ReportedFlowTest {
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
        .contains(new ReportedFlow("default/xwing", "default/deathstar-5b69dfff75-t4l2c", 80, true, 133, "hgd-tnode-2"));
    assertThat(ReportedFlow.parse(line("192.0.2.7", Verdict.VERDICT_DROPPED, 180, false)))
        .contains(new ReportedFlow("192.0.2.7", "default/deathstar-5b69dfff75-t4l2c", 80, true, 180, "hgd-tnode-2"));
    assertThat(ReportedFlow.parse(line("10.0.1.11", Verdict.VERDICT_FORWARDED, 0, false)))
        .contains(new ReportedFlow("default/xwing", "default/deathstar-5b69dfff75-t4l2c", 80, false, 0, "hgd-tnode-2"));
  }

  @Test
  void anythingButAFlowIsNone() {
    assertThat(ReportedFlow.parse("")).isEmpty();
    assertThat(ReportedFlow.parse("hexgate lab flows: no lab is running")).isEmpty();
  }
}
