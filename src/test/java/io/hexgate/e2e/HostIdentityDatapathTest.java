package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.Rule;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The host identity on real connections: a pod under ingress default-deny is reached from its own node's
 * namespace (the kubelet's probes; allow-localhost) once the operator, its engine and Nodes fed by the
 * test, gives node addresses the host identity there, and not from the other node's namespace
 * (remote-node) until a rule allows {@code remote-node}. Needs root and eBPF.
 */
class HostIdentityDatapathTest {
  private static final Duration DENIED = Duration.ofMillis(800);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @AutoClose private InProcessCluster cluster;

  @Test
  void theLocalHostReachesAPodUnderIngressDefaultDenyAndOtherNodesOnlyWhenRemoteNodeIsAllowed() throws Exception {
    cluster = InProcessCluster.start("hgh-e2e-", "host identity datapath test");
    NodeNetwork n1 = cluster.addNode("n1", 1);
    NodeNetwork n2 = cluster.addNode("n2", 2);
    PodNetwork web = n1.addPod("default", "web");
    cluster.closing(EchoServer.start(web, 80));
    NetNsThread fromNode1 = cluster.closing(n1.enter());
    NetNsThread fromNode2 = cluster.closing(n2.enter());

    HexgateOperator operator = cluster.operator();
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
    cluster.startAgent(n1, ObserveOptions.NONE);
    cluster.awaitApplied(n1);

    // Without node addresses the node's own address is just "world": ingress default-deny drops it,
    // kubelet probes included.
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    operator.nodeAddresses().upsert(node(n1));
    operator.nodeAddresses().upsert(node(n2));
    cluster.awaitApplied(n1);
    assertThat(TcpProbe.attempt(fromNode1, web.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromNode2, web.ip(), 80, DENIED)).isEqualTo(Outcome.TIMED_OUT);

    Rule remoteNode = rule("""
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEntities: [remote-node]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        """);
    operator.engine().apply(e -> e.upsertPolicy(PolicyRef.cnp("default", "nodes"), List.of(remoteNode), List.of("spec")));
    cluster.awaitApplied(n1);
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
