package io.hexgate.observer.mask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.IP;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.observer.filter.InvalidFilterException;
import org.junit.jupiter.api.Test;

class FlowMaskTest {
  private static final Flow FLOW = Flow.newBuilder()
      .setTime(Timestamp.newBuilder().setSeconds(100))
      .setVerdict(Verdict.DROPPED)
      .setIP(IP.newBuilder().setSource("10.0.1.5").setDestination("10.0.2.7"))
      .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(40000).setDestinationPort(80)))
      .setSource(Endpoint.newBuilder().setNamespace("default").setPodName("xwing").setIdentity(1234)
          .addLabels("k8s:class=xwing"))
      .setDestination(Endpoint.newBuilder().setNamespace("default").setPodName("deathstar"))
      .setType(FlowType.L3_L4)
      .setNodeName("node-1")
      .setSummary("TCP Flags: SYN")
      .build();

  private static FlowMask mask(String... paths) {
    return FlowMask.of(FieldMask.newBuilder().addAllPaths(java.util.List.of(paths)).build());
  }

  @Test
  void shouldKeepOnlyTheListedFieldsByTheirProtoNamesCapitalsIncluded() {
    Flow kept = mask("IP", "Type", "Summary", "verdict").apply(FLOW);

    assertThat(kept).isEqualTo(Flow.newBuilder()
        .setIP(FLOW.getIP())
        .setType(FlowType.L3_L4)
        .setSummary("TCP Flags: SYN")
        .setVerdict(Verdict.DROPPED)
        .build());
  }

  @Test
  void shouldKeepNestedPathsOnly() {
    Flow kept = mask("source.pod_name", "l4.TCP.destination_port", "destination").apply(FLOW);

    assertThat(kept).isEqualTo(Flow.newBuilder()
        .setSource(Endpoint.newBuilder().setPodName("xwing"))
        .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setDestinationPort(80)))
        .setDestination(FLOW.getDestination())
        .build());
  }

  @Test
  void shouldKeepAWholeMessageNamedBesideOneOfItsFields() {
    assertThat(mask("source.pod_name", "source").apply(FLOW).getSource()).isEqualTo(FLOW.getSource());
    assertThat(mask("source", "source.pod_name").apply(FLOW).getSource()).isEqualTo(FLOW.getSource());
  }

  @Test
  void shouldRejectAPathNamingNoFieldNamingThePath() {
    assertThatThrownBy(() -> mask("time", "source.podname"))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("\"source.podname\"")
        .hasMessageContaining("podname");
    assertThatThrownBy(() -> mask("ip"))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("\"ip\"");
    assertThatThrownBy(() -> mask("node_name.x"))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("\"node_name.x\"");
    assertThatThrownBy(() -> mask("source.labels.x"))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("\"source.labels.x\"");
    assertThatThrownBy(() -> mask("source."))
        .isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("\"source.\"");
  }

  @Test
  void shouldAcceptHubbleFieldsHexgateNeverFillsAsTheCliDefaultMaskSendsThem() {
    // hubble observe v1.19's default mask for compact output
    FlowMask cliDefault = FlowMask.parse("time, verdict, ethernet, IP, l4, source.identity, source.namespace,"
        + " source.pod_name, destination.identity, destination.namespace, destination.pod_name, Type,"
        + " node_name, l7, event_type, source_service, destination_service, is_reply, Summary, ip_trace_id");

    Flow kept = cliDefault.apply(FLOW);
    assertThat(kept.getSource()).isEqualTo(Endpoint.newBuilder().setNamespace("default").setPodName("xwing")
        .setIdentity(1234).build());
    assertThat(kept.getSummary()).isEqualTo("TCP Flags: SYN");
    assertThat(kept.getNodeName()).isEqualTo("node-1");
  }

  @Test
  void shouldParseSpaceAndCommaSeparatedPaths() {
    assertThat(FlowMask.parse("  IP,Type  Summary ,").apply(FLOW))
        .isEqualTo(mask("IP", "Type", "Summary").apply(FLOW));
    assertThat(FlowMask.parse(" ")).isSameAs(FlowMask.ALL);
  }

  @Test
  void shouldReadTheRequestsMaskThenTheExperimentalOne() {
    FieldMask ip = FieldMask.newBuilder().addPaths("IP").build();
    FieldMask summary = FieldMask.newBuilder().addPaths("Summary").build();

    assertThat(FlowMask.of(GetFlowsRequest.newBuilder().setFieldMask(ip)
        .setExperimental(GetFlowsRequest.Experimental.newBuilder().setFieldMask(summary)).build()).apply(FLOW))
        .isEqualTo(Flow.newBuilder().setIP(FLOW.getIP()).build());
    assertThat(FlowMask.of(GetFlowsRequest.newBuilder()
        .setExperimental(GetFlowsRequest.Experimental.newBuilder().setFieldMask(summary)).build()).apply(FLOW))
        .isEqualTo(Flow.newBuilder().setSummary("TCP Flags: SYN").build());
    assertThat(FlowMask.of(GetFlowsRequest.getDefaultInstance())).isSameAs(FlowMask.ALL);
    assertThat(FlowMask.ALL.apply(FLOW)).isSameAs(FLOW);
  }
}
