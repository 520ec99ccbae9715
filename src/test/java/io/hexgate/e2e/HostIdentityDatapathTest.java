package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.Rule;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The host identity on real connections: a pod under ingress default-deny is reached from its own node's
 * namespace (the kubelet's probes; allow-localhost) once the operator, its engine and Nodes fed by the
 * test, gives node addresses the host identity there, and not from the other node's namespace
 * (remote-node) until a rule allows {@code remote-node}. Needs root and eBPF.
 */
class HostIdentityDatapathTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final MockApi api = new MockApi();
  private ClusterNetwork net;

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    api.close();
    if (net != null) {
      net.close();
    }
  }

  private void awaitApplied(NodeStateHub hub, String node) {
    long revision = hub.find(node).current().revision();
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(reports).anyMatch(r -> r.node().equals(node) && r.revision() >= revision && r.ok()));
  }

  @Test
  void theLocalHostReachesAPodUnderIngressDefaultDenyAndOtherNodesOnlyWhenRemoteNodeIsAllowed() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the host identity datapath test: " + why));
    net = ClusterNetwork.create("hgh-e2e-");
    NodeNetwork n1 = net.addNode("n1", 1);
    NodeNetwork n2 = net.addNode("n2", 2);
    PodNetwork web = n1.addPod("default", "web");
    closing.add(EchoServer.start(web, 80));
    NetNsThread fromNode1 = n1.enter();
    NetNsThread fromNode2 = n2.enter();
    closing.add(fromNode1);
    closing.add(fromNode2);

    String name = "hg-host-identity-" + System.nanoTime();
    HexgateOperator operator =
        HexgateOperator.create(
            OperatorConfig.builder(api.client())
                .withoutLeaderElection()
                .withoutWatchingApi()
                .agents(new AgentEndpoint.InProcess(name))
                .withoutMetrics()
                .withoutRelay()
                .build());
    closing.add(operator);
    operator.addReportListener(reports::add);
    operator.start();
    Rule lockdown = rule("""
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: nobody}}]
        """);
    operator.engine().apply(e -> {
      e.upsertNamespace("default", Map.of());
      e.upsertEndpoint(new Endpoint("default", "web", web.ip(), Map.of("app", "web"), "default", n1.netns(), List.of()));
      e.upsertPolicy(PolicyRef.cnp("default", "lockdown"), List.of(lockdown), List.of("spec"));
    });
    NodeStateHub hub = operator.nodes();

    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    closing.add(channel::shutdownNow);
    closing.add(NodeAgent.start(
        new NodeAgent.Config(n1.netns(), n1.netns(), n1.pinDir(), List.of(n1.uplink()), 0, NodeAgent.Mode.BPF), channel));
    awaitApplied(hub, n1.netns());

    // Without node addresses the node's own address is just "world": ingress default-deny drops it,
    // kubelet probes included.
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    operator.nodeAddresses().upsert(node(n1));
    operator.nodeAddresses().upsert(node(n2));
    awaitApplied(hub, n1.netns());
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromNode2, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    Rule remoteNode = rule("""
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEntities: [remote-node]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        """);
    operator.engine().apply(e -> e.upsertPolicy(PolicyRef.cnp("default", "nodes"), List.of(remoteNode), List.of("spec")));
    awaitApplied(hub, n1.netns());
    assertThat(TcpProbe.attempt(fromNode2, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
  }

  private static Rule rule(String yaml) throws IOException {
    return YAML.readValue(yaml, Rule.class);
  }

  /** The node as its Node object reports it: its namespace's uplink address as InternalIP. */
  private static Node node(NodeNetwork n) {
    return new NodeBuilder()
        .withNewMetadata().withName(n.netns()).endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(n.nodeIp()).endAddress().endStatus()
        .build();
  }
}
