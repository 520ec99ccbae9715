package io.hexgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.operator.install.AgentObjects;
import io.hexgate.operator.install.api.HexgateConfigSpec;
import io.hexgate.operator.install.api.HubbleExportSpec;
import io.hexgate.operator.install.api.HubbleSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code hexgate agent} takes the command line the operator's DaemonSet gives it, Hubble options included. */
class InstalledAgentArgsTest {
  private static ObserveOptions observe(HexgateConfigSpec spec) {
    List<String> args = AgentObjects.args(spec);
    assertThat(args.get(0)).isEqualTo("agent");
    AgentCommand agent = new AgentCommand();
    new CommandLine(agent).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    return agent.hubble.toOptions(null);
  }

  @Test
  void theDefaultSpecServesHubbleOn4244WithCiliumsUsualMetrics() {
    ObserveOptions o = observe(new HexgateConfigSpec());
    assertThat(o.port()).isEqualTo(4244);
    assertThat(o.capacity()).isEqualTo(4095);
    assertThat(o.metrics()).startsWith("dns drop tcp flow port-distribution icmp httpV2:");
    assertThat(o.metricsPort()).isEqualTo(9965);
    assertThat(o.export()).isNull();
  }

  @Test
  void everyHubbleFieldReachesTheAgent() {
    HexgateConfigSpec spec = new HexgateConfigSpec();
    spec.hubble = new HubbleSpec();
    spec.hubble.eventBufferCapacity = 8191;
    spec.hubble.export = new HubbleExportSpec();
    spec.hubble.export.filePath = "/var/run/hexgate/hubble/events.log";
    spec.hubble.export.fileMaxSizeMb = 20;
    spec.hubble.export.fileMaxBackups = 3;
    spec.hubble.export.fileCompress = true;
    spec.hubble.export.allowList = List.of("{\"verdict\":[\"DROPPED\",\"ERROR\"]}");
    spec.hubble.export.denyList = List.of("{\"source_pod\":[\"kube-system/\"]}", "{\"destination_pod\":[\"kube-system/\"]}");
    spec.hubble.export.fieldMask = List.of("time", "verdict");
    ObserveOptions o = observe(spec);
    assertThat(o.capacity()).isEqualTo(8191);
    assertThat(o.export().file()).isEqualTo(Path.of("/var/run/hexgate/hubble/events.log"));
    assertThat(o.export().maxSizeMb()).isEqualTo(20);
    assertThat(o.export().maxBackups()).isEqualTo(3);
    assertThat(o.export().compress()).isTrue();
    assertThat(o.export().allowlist()).singleElement().satisfies(f -> assertThat(f.getVerdictCount()).isEqualTo(2));
    assertThat(o.export().denylist()).hasSize(2);
  }

  @Test
  void hubbleOffServesNothing() {
    HexgateConfigSpec spec = new HexgateConfigSpec();
    spec.hubble = new HubbleSpec();
    spec.hubble.enabled = false;
    ObserveOptions o = observe(spec);
    assertThat(o.port()).isZero();
    assertThat(o.metrics()).isEmpty();
    assertThat(o.export()).isNull();
  }
}
