package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.contract.hubble.relay.NodeStatusEvent;
import io.hexgate.observer.json.HubbleJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code hubble observe}'s output formats of hand-built flows, the verified compact lines byte for byte. */
class FlowPrinterTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private String print(FlowPrinter.Options options, List<GetFlowsResponse> responses) {
    try (FlowPrinter p = new FlowPrinter(options, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8))) {
      responses.forEach(p::write);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static List<GetFlowsResponse> verified() {
    return HubbleFlows.flows().stream().map(HubbleFlows::response).toList();
  }

  @Test
  void compactLinesAreTheVerifiedOnes() {
    String printed = print(FlowPrinter.Options.of(FlowPrinter.Output.COMPACT), verified());
    assertThat(printed).isEqualTo(String.join("\n", HubbleFlows.COMPACT) + "\n");
  }

  @Test
  void compactLinesNameTheNodeOrShowAddressesWhenAsked() {
    Flow verdict = HubbleFlows.flows().get(0);
    assertThat(print(new FlowPrinter.Options(FlowPrinter.Output.COMPACT, true, false, false, false), List.of(HubbleFlows.response(verdict))))
        .isEqualTo("Nov 22 10:00:00.123 [kind-worker]: 10.0.0.11:41234 (ID:12345) <> 10.0.0.22:80 (ID:678) policy-verdict:none INGRESS DENIED (TCP Flags: SYN)\n");
  }

  @Test
  void policyNamesFollowTheVerdictOfTheFlowsDirection() {
    Flow allowed = HubbleFlows.flows().get(2).toBuilder()
        .addIngressAllowedBy(Policy.newBuilder().setName("rule1").setNamespace("default").setKind("CiliumNetworkPolicy"))
        .addIngressAllowedBy(Policy.newBuilder().setName("np").setKind("NetworkPolicy"))
        .addEgressAllowedBy(Policy.newBuilder().setName("other").setKind("CiliumNetworkPolicy")).build();
    assertThat(print(new FlowPrinter.Options(FlowPrinter.Output.COMPACT, false, true, true, false), List.of(HubbleFlows.response(allowed))))
        .endsWith("policy-verdict:L3-L4 INGRESS ALLOWED BY rule1 (CiliumNetworkPolicy), np (NetworkPolicy) (TCP Flags: SYN)\n");
  }

  @Test
  void unknownDropCodesAndTracePointsPrintAsCiliumPrintsThem() {
    Flow drop = HubbleFlows.flows().get(1).toBuilder().setEventType(io.hexgate.contract.hubble.flow.CiliumEventType.newBuilder().setType(1).setSubType(159)).build();
    Flow trace = HubbleFlows.flows().get(3).toBuilder().setEventType(io.hexgate.contract.hubble.flow.CiliumEventType.newBuilder().setType(4).setSubType(42)).build();
    Flow unknown = HubbleFlows.flows().get(3).toBuilder().clearEventType().clearTime().build();
    assertThat(FlowPrinter.flowType(drop)).isEqualTo("159, 0");
    assertThat(FlowPrinter.flowType(trace)).isEqualTo("42");
    assertThat(print(FlowPrinter.Options.of(FlowPrinter.Output.COMPACT), List.of(HubbleFlows.response(unknown))))
        .startsWith("N/A: default/tiefighter:5555 (ID:999) -> ").contains(" UNKNOWN FORWARDED ");
  }

  @Test
  void dictRecordsAreSeparatedByDashes() {
    String printed = print(FlowPrinter.Options.of(FlowPrinter.Output.DICT), verified().subList(0, 2));
    assertThat(printed).isEqualTo("""
          TIMESTAMP: Nov 22 10:00:00.123
             SOURCE: default/xwing:41234
        DESTINATION: default/deathstar-6fb5694d48-5hmds:80
               TYPE: policy-verdict:none INGRESS
            VERDICT: DENIED
            SUMMARY: TCP Flags: SYN
        ------------
          TIMESTAMP: Nov 22 10:00:00.124
             SOURCE: default/xwing:41234
        DESTINATION: default/deathstar-6fb5694d48-5hmds:80
               TYPE: Policy denied
            VERDICT: DROPPED
            SUMMARY: TCP Flags: SYN
        """);
  }

  @Test
  void tableIsAlignedAndPrintedAtTheEnd() {
    String printed = print(new FlowPrinter.Options(FlowPrinter.Output.TABLE, true, true, false, false), verified().subList(8, 10));
    assertThat(printed).isEqualTo(
        "TIMESTAMP             NODE          SOURCE                     DESTINATION              TYPE         VERDICT     SUMMARY\n"
      + "Nov 22 10:00:04.000   kind-worker   default/tiefighter:40000   1.1.1.1:53               to-network   FORWARDED   UDP\n"
      + "Nov  2 03:04:05.006   kind-worker   [fd00::1]:1                default/kubernetes:443   to-network   FORWARDED   TCP Flags: ACK; Auth: SPIRE\n");
  }

  @Test
  void jsonIsOneGetFlowsResponseALine() throws Exception {
    String printed = print(FlowPrinter.Options.of(FlowPrinter.Output.JSONPB), verified());
    List<String> lines = printed.lines().toList();
    assertThat(lines).hasSize(10);
    assertThat(lines.get(0)).startsWith("{\"flow\":{\"time\":\"2026-11-22T10:00:00.123Z\",\"verdict\":\"DROPPED\",\"drop_reason\":133,")
        .contains("\"IP\":{\"source\":\"10.0.0.11\",\"destination\":\"10.0.0.22\",\"ipVersion\":\"IPv4\"}", "\"Summary\":\"TCP Flags: SYN\"")
        .endsWith("\"node_name\":\"kind-worker\",\"time\":\"2026-11-22T10:00:00.123Z\"}");
    for (int i = 0; i < lines.size(); i++) {
      assertThat(HubbleJson.parse(lines.get(i), GetFlowsResponse.newBuilder()).build()).isEqualTo(verified().get(i));
    }
  }

  @Test
  void nodeStatusGoesToStderrAndConnectedOnlyWhenDebugging() {
    GetFlowsResponse connected = nodeStatus(NodeState.NODE_CONNECTED, "", "n1", "n2");
    GetFlowsResponse error = nodeStatus(NodeState.NODE_ERROR, "connection refused", "n3");
    GetFlowsResponse unavailable = nodeStatus(NodeState.NODE_UNAVAILABLE, "", "a-long-node-name-1", "a-long-node-name-2",
        "a-long-node-name-3", "a-long-node-name-4");
    String printed = print(FlowPrinter.Options.of(FlowPrinter.Output.COMPACT), List.of(connected, error, unavailable));
    assertThat(printed).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
        "Nov 22 10:00:00.000 [relay]: Error \"connection refused\" on 1 nodes: n3\n"
      + "Nov 22 10:00:00.000 [relay]: 4 nodes are unavailable: a-long-node-name-1, a-long-node-name-2 (and 2 more)\n");
    err.reset();
    print(new FlowPrinter.Options(FlowPrinter.Output.COMPACT, false, true, false, true), List.of(connected));
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("Nov 22 10:00:00.000 [relay]: Receiving flows from 2 nodes: n1, n2\n");
    err.reset();
    print(FlowPrinter.Options.of(FlowPrinter.Output.JSONPB), List.of(error));
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(HubbleJson.line(error) + "\n");
  }

  @Test
  void lostEventsPrintTheirSourceCpuAndCount() {
    GetFlowsResponse lost = GetFlowsResponse.newBuilder().setTime(Timestamp.newBuilder().setSeconds(1795341600L))
        .setNodeName("kind-worker")
        .setLostEvents(LostEvent.newBuilder().setSource(LostEventSource.HUBBLE_RING_BUFFER).setNumEventsLost(42)
            .setCpu(Int32Value.of(3)))
        .build();
    assertThat(print(FlowPrinter.Options.of(FlowPrinter.Output.COMPACT), List.of(lost)))
        .isEqualTo("Nov 22 10:00:00.000 EVENTS LOST: HUBBLE_RING_BUFFER CPU(3) 42\n");
  }

  private static GetFlowsResponse nodeStatus(NodeState state, String message, String... nodes) {
    return GetFlowsResponse.newBuilder().setNodeName("relay").setTime(Timestamp.newBuilder().setSeconds(1795341600L))
        .setNodeStatus(NodeStatusEvent.newBuilder().setStateChange(state).setMessage(message).addAllNodeNames(List.of(nodes)))
        .build();
  }
}
