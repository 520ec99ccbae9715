package io.hexgate.datapath.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowEventKind;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.Protocols;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventFlowsTest {
  private static final PolicyRef RULE1 = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();

  private static Event event(int type, int action, int reason) {
    return new Event(1, type, Directions.DIR_INGRESS, action, 0, reason, Protocols.PROTO_TCP, 0x02, 7, 300, 259,
        0x0a000102, 0x0a00010c, 41234, 80, 5, 0, 0, 0, 0, 60);
  }

  private static Flow flow(int type, int action, int reason) {
    return new EventFlows().toFlow(event(type, action, reason), Map.of(5, List.of(RULE1)));
  }

  @Test
  void everyDatapathFlowIsL3L4() {
    assertThat(flow(Event.EVENT_POLICY_VERDICT, Event.ACTION_ALLOW, 0).getType()).isEqualTo(FlowType.FLOW_TYPE_L3_L4);
    assertThat(flow(Event.EVENT_DROP, Event.ACTION_ALLOW, DropReasons.DROP_POLICY).getType()).isEqualTo(FlowType.FLOW_TYPE_L3_L4);
  }

  @Test
  void aConnectionSentToTheProxyIsRedirectedUnlessItWasDropped() {
    Flow redirected = flow(Event.EVENT_POLICY_VERDICT, Event.ACTION_REDIRECT, 0);
    assertThat(redirected.getVerdict()).isEqualTo(Verdict.VERDICT_REDIRECTED);
    assertThat(redirected.getDropReason()).isZero();
    assertThat(redirected.getPoliciesList()).containsExactly(RULE1);

    Flow noProxy = flow(Event.EVENT_POLICY_VERDICT, Event.ACTION_REDIRECT, DropReasons.DROP_PROXY_UNSUPPORTED);
    assertThat(noProxy.getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
    assertThat(noProxy.getDropReason()).isEqualTo(DropReasons.DROP_PROXY_UNSUPPORTED);
  }

  @Test
  void allowedAndDeniedVerdictsStayForwardedAndDropped() {
    assertThat(flow(Event.EVENT_POLICY_VERDICT, Event.ACTION_ALLOW, 0).getVerdict()).isEqualTo(Verdict.VERDICT_FORWARDED);
    assertThat(flow(Event.EVENT_POLICY_VERDICT, Event.ACTION_DENY, 181).getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
    // the action field only means something on policy verdicts
    assertThat(flow(Event.EVENT_DROP, Event.ACTION_REDIRECT, DropReasons.DROP_POLICY).getVerdict()).isEqualTo(Verdict.VERDICT_DROPPED);
  }

  @Test
  void aFlowKeepsWhatHubbleShowsOfItsEvent() {
    Event toService = new Event(1, Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, 2, 0,
        Protocols.PROTO_TCP, 0x12, 9, 300, 259, 0x0a000102, 0x0a00010c, 41234, 8080, 5, 0x0a600001, 80, 0, 0, 60);
    Flow f = new EventFlows().toFlow(toService, Map.of());
    assertThat(f.getEventKind()).isEqualTo(FlowEventKind.FLOW_EVENT_KIND_POLICY_VERDICT);
    assertThat(f.getTcpFlags()).isEqualTo(0x12);
    assertThat(f.getEndpointId()).isEqualTo(9);
    assertThat(f.getPolicyMatchType()).isEqualTo(2);
    assertThat(f.getOriginalDestinationIp()).isEqualTo("10.96.0.1");
    assertThat(f.getOriginalDestinationPort()).isEqualTo(80);

    Event ping = new Event(1, Event.EVENT_DROP, Directions.DIR_INGRESS, 0, 0, DropReasons.DROP_POLICY,
        Protocols.PROTO_ICMP, 0, 0, 0, 0, 0x0a000102, 0x0a00010c, 77, 0, 0, 0, 0, 8, 0, 84);
    Flow p = new EventFlows().toFlow(ping, Map.of());
    assertThat(p.getEventKind()).isEqualTo(FlowEventKind.FLOW_EVENT_KIND_DROP);
    assertThat(p.getIcmpType()).isEqualTo(8);
    assertThat(p.getSourcePort()).as("the echo identifier is no port").isZero();
    assertThat(p.getOriginalDestinationIp()).isEmpty();
  }
}
