package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.hexgate.cli.CliRun;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.contract.hubble.relay.NodeStatusEvent;
import io.hexgate.observer.json.HubbleJson;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code hexgate observe} and {@code hexgate status} against a Hubble server on loopback. */
class ObserveEndToEndTest {
  static final GetFlowsResponse CONNECTED = GetFlowsResponse.newBuilder().setNodeName("relay")
      .setTime(Timestamp.newBuilder().setSeconds(1795341600L))
      .setNodeStatus(NodeStatusEvent.newBuilder().setStateChange(NodeState.NODE_CONNECTED).addNodeNames("kind-worker"))
      .build();
  private static FakeHubbleServer server;

  static List<GetFlowsResponse> answers() {
    List<GetFlowsResponse> answers = new ArrayList<>(List.of(CONNECTED));
    HubbleFlows.flows().stream().map(HubbleFlows::response).forEach(answers::add);
    return answers;
  }

  @BeforeAll
  static void start() throws Exception {
    server = new FakeHubbleServer(answers(), StatusPrinterTest.RELAY);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void forget() {
    server.requests.clear();
  }

  @Test
  void observePrintsTheServersFlowsAsCompactLines() {
    CliRun run = CliRun.of("observe", "--server", server.address(), "--from-pod", "default/tiefighter", "--verdict", "FORWARDED",
        "--last", "50");
    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo(String.join("\n", HubbleFlows.COMPACT) + "\n");
    GetFlowsRequest sent = server.requests.get(0);
    assertThat(sent.getNumber()).isEqualTo(50);
    assertThat(sent.getWhitelistList()).singleElement().satisfies(f -> {
      assertThat(f.getSourcePodList()).containsExactly("default/tiefighter");
      assertThat(f.getVerdictList()).extracting(Enum::name).containsExactly("FORWARDED");
    });
    assertThat(sent.getFieldMask().getPathsList()).contains("Summary");
  }

  @Test
  void observeWithDebugShowsTheRelaysNodesOnStderr() {
    CliRun run = CliRun.of("observe", "--server", server.address(), "-D", "--first", "1");
    assertThat(run.err()).isEqualTo("Nov 22 10:00:00.000 [relay]: Receiving flows from 1 nodes: kind-worker\n");
    assertThat(server.requests.get(0).getFirst()).isTrue();
  }

  @Test
  void observeJsonIsOneResponseALineOnStdout() throws Exception {
    CliRun run = CliRun.of("observe", "--server", server.address(), "-o", "json");
    assertThat(run.exitCode()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(10);
    assertThat(HubbleJson.parse(lines.get(9), GetFlowsResponse.newBuilder()).build()).isEqualTo(answers().get(10));
    assertThat(server.requests.get(0).hasFieldMask()).isFalse();
  }

  @Test
  void statusPrintsHealthAndTheServersStatus() {
    CliRun run = CliRun.of("status", "--server", server.address());
    assertThat(run.exitCode()).isZero();
    // the fake relay lists no nodes (GetNodes is unimplemented), so Hexgate's part is the lost events alone
    assertThat(run.out()).isEqualTo("Healthcheck (via " + server.address() + "): Ok\n"
        + StatusPrinter.print(StatusPrinterTest.RELAY, FlowPrinter.Output.COMPACT) + NodesTable.print(StatusPrinterTest.RELAY, null));
  }

  @Test
  void anUnreachableServerIsAnErrorWithGrpcsMessage() {
    CliRun observe = CliRun.of("observe", "--server", "127.0.0.1:1");
    assertThat(observe.exitCode()).isEqualTo(1);
    assertThat(observe.err()).startsWith("hexgate: rpc error: code = Unavailable desc = ");
    CliRun status = CliRun.of("status", "--server", "127.0.0.1:1");
    assertThat(status.exitCode()).isEqualTo(1);
    assertThat(status.err()).startsWith("hexgate: failed getting status: rpc error: code = Unavailable desc = ");
  }
}
