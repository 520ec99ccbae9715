package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The host identity on real connections: a pod under ingress default-deny is reached from its own node's
 * namespace (the kubelet's probes; allow-localhost) once the operator gives node addresses the host
 * identity there, and not from the other node's namespace (remote-node) until a rule allows
 * {@code remote-node}. Needs root and eBPF.
 */
class HostIdentityDatapathTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final ExecutorService sender = Executors.newFixedThreadPool(2);
  private ClusterNetwork net;

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    sender.shutdownNow();
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

    PolicyEngine engine = new PolicyEngine();
    engine.upsertNamespace("default", Map.of());
    engine.upsertEndpoint(new Endpoint("default", "web", web.ip(), Map.of("app", "web"), "default", n1.netns(), List.of()));
    engine.upsertPolicy(PolicyRef.cnp("default", "lockdown"), List.of(YAML.readValue("""
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: nobody}}]
        """, Rule.class)), List.of("spec"));
    NodeStateHub hub = new NodeStateHub();
    hub.changed(engine.snapshot(), Set.of());

    NodeAgentService service =
        new NodeAgentService(hub, reports::add, (node, batch) -> {}, sender, NodeAgentService.Authentication.TRUST_CLAIM);
    String name = "hg-host-identity-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name).addService(service).directExecutor().build().start();
    closing.add(server::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    closing.add(channel::shutdownNow);
    closing.add(NodeAgent.start(
        new NodeAgent.Config(n1.netns(), n1.netns(), n1.pinDir(), List.of(n1.uplink()), 0, NodeAgent.Mode.BPF), channel));
    awaitApplied(hub, n1.netns());

    // Without node addresses the node's own address is just "world": ingress default-deny drops it,
    // kubelet probes included.
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    hub.nodeAddresses(Map.of(n1.netns(), Set.of(n1.nodeIp() + "/32"), n2.netns(), Set.of(n2.nodeIp() + "/32")));
    awaitApplied(hub, n1.netns());
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromNode2, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    engine.upsertPolicy(PolicyRef.cnp("default", "nodes"), List.of(YAML.readValue("""
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEntities: [remote-node]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        """, Rule.class)), List.of("spec"));
    hub.changed(engine.snapshot(), Set.of());
    awaitApplied(hub, n1.netns());
    assertThat(TcpProbe.attempt(fromNode2, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
  }
}
