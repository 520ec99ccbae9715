package io.hexgate.operator.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.hexgate.operator.install.api.HexgateConfigSpec;
import io.hexgate.operator.install.api.HubbleExportSpec;
import io.hexgate.operator.install.api.HubbleMetricsSpec;
import io.hexgate.operator.install.api.HubbleSpec;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the agents' DaemonSet and Services are made of for a HexgateConfig's {@code hubble} section. */
class AgentObjectsHubbleTest {
  private static final AgentInstall INSTALL = new AgentInstall("agent:1", "10.1.0.7", 4250);
  private static final String NS = "hexgate";

  private static PodSpec pod(HexgateConfigSpec spec) {
    return AgentObjects.daemonSet(spec, INSTALL, "agent:1", "PEM", NS).getSpec().getTemplate().getSpec();
  }

  private static Map<String, Integer> ports(Container c) {
    return c.getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
  }

  /** The value following {@code --name} in the agent's arguments, null when the option is absent. */
  private static String option(List<String> args, String name) {
    int i = args.indexOf("--" + name);
    return i < 0 ? null : args.get(i + 1);
  }

  private static HexgateConfigSpec withHubble(HubbleSpec hubble) {
    HexgateConfigSpec spec = new HexgateConfigSpec();
    spec.hubble = hubble;
    return spec;
  }

  @Test
  void byDefaultAgentsServeTheObserverOn4244AndCiliumsUsualMetricsOn9965() {
    Container agent = pod(new HexgateConfigSpec()).getContainers().get(0);
    assertThat(option(agent.getArgs(), "hubble-listen-port")).isEqualTo("4244");
    assertThat(option(agent.getArgs(), "hubble-metrics"))
        .isEqualTo("dns drop tcp flow port-distribution icmp httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace");
    assertThat(option(agent.getArgs(), "hubble-metrics-port")).isEqualTo("9965");
    assertThat(agent.getArgs()).noneMatch(a -> a.startsWith("--hubble-export") || a.equals("--hubble-event-buffer-capacity"));
    assertThat(ports(agent)).containsEntry("peer-service", 4244).containsEntry("hubble-metrics", 9965).containsEntry("metrics", 9962);
    assertThat(pod(new HexgateConfigSpec()).getVolumes()).noneMatch(v -> v.getName().equals("hubble-export"));
    assertThat(HubbleAgentArgs.problem(new HubbleSpec())).isEmpty();
  }

  @Test
  void hubbleOffClosesItsPortsAndServesNoMetrics() {
    HubbleSpec off = new HubbleSpec();
    off.enabled = false;
    off.metrics = new HubbleMetricsSpec();
    off.metrics.enabled = List.of("drop");
    off.export = export("/var/run/hexgate/hubble/events.log");
    Container agent = pod(withHubble(off)).getContainers().get(0);
    assertThat(option(agent.getArgs(), "hubble-listen-port")).isEqualTo("0");
    assertThat(agent.getArgs()).noneMatch(a -> a.startsWith("--hubble-") && !a.equals("--hubble-listen-port"));
    assertThat(ports(agent)).doesNotContainKeys("peer-service", "hubble-metrics");
    assertThat(pod(withHubble(off)).getVolumes()).noneMatch(v -> v.getName().equals("hubble-export"));
  }

  @Test
  void anEmptyMetricsListServesNoneAndTheBufferCapacityIsPassedOn() {
    HubbleSpec hubble = new HubbleSpec();
    hubble.eventBufferCapacity = 16383;
    hubble.metrics = new HubbleMetricsSpec();
    hubble.metrics.enabled = List.of();
    Container agent = pod(withHubble(hubble)).getContainers().get(0);
    assertThat(option(agent.getArgs(), "hubble-listen-port")).isEqualTo("4244");
    assertThat(option(agent.getArgs(), "hubble-event-buffer-capacity")).isEqualTo("16383");
    assertThat(agent.getArgs()).doesNotContain("--hubble-metrics", "--hubble-metrics-port");
    assertThat(ports(agent)).containsKey("peer-service").doesNotContainKey("hubble-metrics");
    assertThat(HubbleAgentArgs.metricsOn(hubble)).isFalse();
  }

  @Test
  void theExportIsConfiguredWithHubblesOptionsAndItsDirectoryMountedFromTheNode() {
    HubbleSpec hubble = new HubbleSpec();
    hubble.export = export("/var/run/hexgate/hubble/events.log");
    hubble.export.fileMaxSizeMb = 50;
    hubble.export.fileMaxBackups = 2;
    hubble.export.fileCompress = true;
    hubble.export.allowList = List.of("{\"verdict\":[\"DROPPED\",\"ERROR\"]}", "{\"source_pod\":[\"prod/\"]}");
    hubble.export.denyList = List.of("{\"destination_pod\":[\"kube-system/\"]}");
    hubble.export.fieldMask = List.of("time", "source.pod_name", "verdict");
    PodSpec pod = pod(withHubble(hubble));
    List<String> args = pod.getContainers().get(0).getArgs();
    assertThat(option(args, "hubble-export-file-path")).isEqualTo("/var/run/hexgate/hubble/events.log");
    assertThat(option(args, "hubble-export-file-max-size-mb")).isEqualTo("50");
    assertThat(option(args, "hubble-export-file-max-backups")).isEqualTo("2");
    assertThat(option(args, "hubble-export-file-compress")).isEqualTo("true");
    assertThat(option(args, "hubble-export-allowlist")).isEqualTo("{\"verdict\":[\"DROPPED\",\"ERROR\"]},{\"source_pod\":[\"prod/\"]}");
    assertThat(option(args, "hubble-export-denylist")).isEqualTo("{\"destination_pod\":[\"kube-system/\"]}");
    assertThat(option(args, "hubble-export-fieldmask")).isEqualTo("time source.pod_name verdict");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("hubble-export")).singleElement().satisfies(v -> {
      assertThat(v.getHostPath().getPath()).isEqualTo("/var/run/hexgate/hubble");
      assertThat(v.getHostPath().getType()).isEqualTo("DirectoryOrCreate");
    });
    assertThat(pod.getContainers().get(0).getVolumeMounts()).filteredOn(m -> m.getName().equals("hubble-export"))
        .singleElement().satisfies(m -> {
          assertThat(m.getMountPath()).isEqualTo("/var/run/hexgate/hubble");
          assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        });
    assertThat(HubbleAgentArgs.problem(hubble)).isEmpty();
  }

  @Test
  void anExportToStdoutMountsNothing() {
    HubbleSpec hubble = new HubbleSpec();
    hubble.export = export("stdout");
    PodSpec pod = pod(withHubble(hubble));
    assertThat(option(pod.getContainers().get(0).getArgs(), "hubble-export-file-path")).isEqualTo("stdout");
    assertThat(pod.getVolumes()).noneMatch(v -> v.getName().equals("hubble-export"));
  }

  @Test
  void whatTheAgentWouldRefuseIsNamedByItsField() {
    HubbleSpec metrics = new HubbleSpec();
    metrics.metrics = new HubbleMetricsSpec();
    metrics.metrics.enabled = List.of("drop", "latency");
    assertThat(HubbleAgentArgs.problem(metrics)).hasValueSatisfying(p ->
        assertThat(p).startsWith("spec.hubble.metrics.enabled: ").contains("'latency'"));

    HubbleSpec filter = new HubbleSpec();
    filter.export = export("/var/log/hubble/flows.log");
    filter.export.allowList = List.of("{\"verdikt\":[\"DROPPED\"]}");
    assertThat(HubbleAgentArgs.problem(filter)).hasValueSatisfying(p ->
        assertThat(p).startsWith("spec.hubble.export: hubble-export-allowlist").contains("verdikt"));

    HubbleSpec capacity = new HubbleSpec();
    capacity.eventBufferCapacity = 4096;
    assertThat(HubbleAgentArgs.problem(capacity)).hasValue(
        "spec.hubble.eventBufferCapacity: must be one less than a power of two, got 4096");

    // nothing is checked of a Hubble that is off: the agents get none of it
    metrics.enabled = false;
    assertThat(HubbleAgentArgs.problem(metrics)).isEmpty();
  }

  @Test
  void hubblePeerIsCiliumsServiceInFrontOfTheLocalAgent() {
    Service peer = AgentObjects.hubblePeerService(NS);
    assertThat(peer.getMetadata().getName()).isEqualTo("hubble-peer");
    assertThat(peer.getSpec().getSelector()).isEqualTo(AgentObjects.selector());
    assertThat(peer.getSpec().getInternalTrafficPolicy()).isEqualTo("Local");
    assertThat(peer.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getPort()).isEqualTo(443);
      assertThat(p.getTargetPort().getIntVal()).isEqualTo(4244);
    });
  }

  @Test
  void hubbleMetricsIsHeadlessOnTheConfiguredPort() {
    HubbleSpec hubble = new HubbleSpec();
    hubble.metrics = new HubbleMetricsSpec();
    hubble.metrics.port = 19965;
    Service metrics = AgentObjects.hubbleMetricsService(withHubble(hubble), NS);
    assertThat(metrics.getMetadata().getName()).isEqualTo("hubble-metrics");
    assertThat(metrics.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(metrics.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("hubble-metrics");
      assertThat(p.getPort()).isEqualTo(19965);
      assertThat(p.getTargetPort().getIntVal()).isEqualTo(19965);
    });
    assertThat(ports(pod(withHubble(hubble)).getContainers().get(0))).containsEntry("hubble-metrics", 19965);
  }

  private static HubbleExportSpec export(String path) {
    HubbleExportSpec export = new HubbleExportSpec();
    export.filePath = path;
    return export;
  }
}
