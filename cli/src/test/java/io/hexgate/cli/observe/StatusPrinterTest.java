package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import org.junit.jupiter.api.Test;

/** {@code hubble status}'s lines for a relay's and an agent's ServerStatus. */
class StatusPrinterTest {
  static final ServerStatusResponse RELAY = ServerStatusResponse.newBuilder().setNumFlows(1234).setMaxFlows(4095)
      .setSeenFlows(99_999).setUptimeNs(3_600_000_000_000L).setFlowsRate(15.77)
      .setNumConnectedNodes(UInt32Value.of(2)).setNumUnavailableNodes(UInt32Value.of(1)).addUnavailableNodes("kind-worker2")
      .setVersion("hexgate-0.1.0").build();

  @Test
  void compactLinesOfARelay() {
    assertThat(StatusPrinter.print(RELAY, FlowPrinter.Output.COMPACT)).isEqualTo("""
        Current/Max Flows: 1,234/4,095 (30.13%)
        Flows/s: 15.77
        Connected Nodes: 2/3
        Unavailable Nodes: 1
          - kind-worker2
        """);
  }

  @Test
  void anAgentHasNoNodeLinesAndARateFromSeenFlowsAndUptime() {
    ServerStatusResponse agent = ServerStatusResponse.newBuilder().setNumFlows(4095).setMaxFlows(4095).setSeenFlows(1_234_567)
        .setUptimeNs(8_000_000_000L).build();
    assertThat(StatusPrinter.print(agent, FlowPrinter.Output.COMPACT)).isEqualTo("""
        Current/Max Flows: 4,095/4,095 (100.00%)
        Flows/s: 154320.88
        """);
    assertThat(StatusPrinter.print(ServerStatusResponse.getDefaultInstance(), FlowPrinter.Output.COMPACT)).isEqualTo("""
        Current/Max Flows: 0/0
        Flows/s: N/A
        """);
  }

  @Test
  void unavailableNodesAreSortedAndTheRestCounted() {
    ServerStatusResponse many = RELAY.toBuilder().setNumUnavailableNodes(UInt32Value.of(4)).clearUnavailableNodes()
        .addUnavailableNodes("n3").addUnavailableNodes("n1").build();
    assertThat(StatusPrinter.print(many, FlowPrinter.Output.COMPACT)).endsWith("""
        Connected Nodes: 2/6
        Unavailable Nodes: 4
          - n1
          - n3
          - and 2 more...
        """);
  }

  @Test
  void dictAndTable() {
    assertThat(StatusPrinter.print(RELAY, FlowPrinter.Output.DICT)).isEqualTo("""
                  NUM FLOWS: 1,234
                  MAX FLOWS: 4,095
                 SEEN FLOWS: 99,999
           FLOWS PER SECOND: 15.77
                     UPTIME: 1h0m0s
        NUM CONNECTED NODES: 2
         NUM UNAVAIL. NODES: 1
                    VERSION: hexgate-0.1.0
        """);
    assertThat(StatusPrinter.print(RELAY, FlowPrinter.Output.TABLE)).isEqualTo(
        "NUM FLOWS   MAX FLOWS   SEEN FLOWS   FLOWS PER SECOND   UPTIME   NUM CONNECTED NODES   NUM UNAVAILABLE NODES   VERSION\n"
      + "1,234       4,095       99,999       15.77              1h0m0s   2                     1                       hexgate-0.1.0\n");
  }

  @Test
  void numbersAsGoPrintsThem() {
    assertThat(StatusPrinter.grouped(999)).isEqualTo("999");
    assertThat(StatusPrinter.grouped(1_234_567)).isEqualTo("1,234,567");
    assertThat(StatusPrinter.grouped(-1L)).isEqualTo("18,446,744,073,709,551,615");
    assertThat(StatusPrinter.twoDecimals(0.125)).isEqualTo("0.12");
    assertThat(StatusPrinter.goDuration(100_000_000_000L)).isEqualTo("1m40s");
    assertThat(StatusPrinter.goDuration(1_500_000_000L)).isEqualTo("1.5s");
    assertThat(StatusPrinter.goDuration(2_500_000L)).isEqualTo("2.5ms");
    assertThat(StatusPrinter.goDuration(0)).isEqualTo("0s");
  }
}
