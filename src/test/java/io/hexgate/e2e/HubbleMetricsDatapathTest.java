package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grpc.ManagedChannel;
import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.PrometheusScrape;
import io.hexgate.datapath.netns.UdpProbe;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.lab.observe.NamespaceDialer;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Hubble's metrics and flows of real traffic, exact to the packet: two node agents, each serving Hubble on
 * 4244 and its metrics on 9965 inside its node's namespace, judge UDP datagrams (no retransmission, so the
 * datapath's events are known in advance) between pods of the two nodes, and what {@code /metrics} counts
 * and the Observer serves is what the policy made of each datagram. Needs root and eBPF.
 */
class HubbleMetricsDatapathTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObserveOptions OBSERVE =
      new ObserveOptions(HubbleServices.AGENT_PORT, FlowRing.DEFAULT_CAPACITY, null, "flow drop", HubbleServices.METRICS_PORT,
          null);
  private static final PolicyRef POLICY = PolicyRef.cnp("default", "server-ingress");
  private static final int PORT = 7070;
  /** from one socket: one connection the server's ingress default-deny drops datagram by datagram */
  private static final int DENIED = 7;
  /** each from a socket of its own: as many connections, each judged (and allowed) once */
  private static final int ALLOWED = 5;

  @AutoClose private InProcessCluster cluster;

  @Test
  void eachDeniedDatagramIsOneDropAndEachAllowedConnectionOnePolicyVerdictInMetricsAndFlows() throws Exception {
    cluster = InProcessCluster.start("hgm-e2e-", "Hubble metrics datapath test");
    NodeNetwork n1 = cluster.addNode("n1", 1);
    NodeNetwork n2 = cluster.addNode("n2", 2);
    PodNetwork server = n1.addPod("default", "server");
    PodNetwork client = n2.addPod("default", "client");
    PodNetwork intruder = n2.addPod("default", "intruder");
    NetNsThread inServer = cluster.closing(server.enter());
    NetNsThread fromClient = cluster.closing(client.enter());
    NetNsThread fromIntruder = cluster.closing(intruder.enter());
    NetNsThread inNode1 = cluster.closing(n1.enter());
    NetNsThread inNode2 = cluster.closing(n2.enter());

    Rule onlyClients = new ObjectMapper(new YAMLFactory()).readValue("""
        endpointSelector: {matchLabels: {app: server}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: client}}]
          toPorts: [{ports: [{port: "%d", protocol: UDP}]}]
        """.formatted(PORT), Rule.class);
    cluster.operator().engine().apply(e -> {
      e.upsertNamespace("default", Map.of());
      e.upsertEndpoint(endpoint(server, "server"));
      e.upsertEndpoint(endpoint(client, "client"));
      e.upsertEndpoint(endpoint(intruder, "intruder"));
      e.upsertPolicy(POLICY, List.of(onlyClients), List.of("spec"));
    });
    cluster.startAgent(n1, OBSERVE);
    cluster.startAgent(n2, OBSERVE);
    cluster.awaitApplied(n1, r -> r.policies().contains(POLICY));
    cluster.awaitApplied(n2);

    assertThat(UdpProbe.delivered(fromIntruder, intruder.ip(), inServer, server.ip(), PORT, DENIED))
        .as("the intruder's datagrams delivered").isZero();
    assertThat(UdpProbe.deliveredFromDistinctPorts(fromClient, client.ip(), inServer, server.ip(), PORT, ALLOWED))
        .as("the client's datagrams delivered").isEqualTo(ALLOWED);

    // n1 judges the server's ingress: every denied datagram is dropped there, every client connection allowed
    Map<String, Double> node1 = Map.of(
        "hubble_flows_processed_total{protocol=\"UDP\",subtype=\"\",type=\"Drop\",verdict=\"DROPPED\"}", (double) DENIED,
        "hubble_flows_processed_total{protocol=\"UDP\",subtype=\"\",type=\"PolicyVerdict\",verdict=\"FORWARDED\"}",
        (double) ALLOWED,
        "hubble_drop_total{protocol=\"UDP\",reason=\"POLICY_DENIED\"}", (double) DENIED);
    // n2 judges the senders' egress, which no policy restricts: one allowed verdict per connection
    Map<String, Double> node2 = Map.of(
        "hubble_flows_processed_total{protocol=\"UDP\",subtype=\"\",type=\"PolicyVerdict\",verdict=\"FORWARDED\"}",
        (double) ALLOWED + 1);
    await().atMost(WAIT).untilAsserted(() -> assertThat(flowCounts(inNode1)).isEqualTo(node1));
    await().atMost(WAIT).untilAsserted(() -> assertThat(flowCounts(inNode2)).isEqualTo(node2));
    Thread.sleep(1500); // anything more would have arrived by now (the events are read every 200 ms)
    assertThat(flowCounts(inNode1)).as("n1, a moment later").isEqualTo(node1);
    assertThat(flowCounts(inNode2)).as("n2, a moment later").isEqualTo(node2);
    for (NetNsThread node : List.of(inNode1, inNode2)) {
      assertThat(lostCounts(node)).as("lost events on %s", node.name()).isEqualTo(Map.of(
          "hubble_lost_events_total{source=\"hubble_ring_buffer\"}", 0.0,
          "hubble_lost_events_total{source=\"observer_events_queue\"}", 0.0,
          "hubble_lost_events_total{source=\"perf_event_ring_buffer\"}", 0.0));
    }

    // the same flows from n1's Observer, on its 4244 in the node's namespace, named
    List<Flow> flows = observedFlows(n1);
    List<Flow> drops = flows.stream().filter(f -> f.getVerdict() == Verdict.DROPPED).toList();
    List<Flow> allowed = flows.stream().filter(f -> f.getVerdict() == Verdict.FORWARDED).toList();
    assertThat(flows).hasSize(DENIED + ALLOWED);
    assertThat(drops).hasSize(DENIED).allSatisfy(f -> {
      assertThat(f.getNodeName()).isEqualTo(n1.netns());
      assertThat(f.getSource().getNamespace() + "/" + f.getSource().getPodName()).isEqualTo("default/intruder");
      assertThat(f.getDestination().getNamespace() + "/" + f.getDestination().getPodName()).isEqualTo("default/server");
      assertThat(f.getL4().getUDP().getDestinationPort()).isEqualTo(PORT);
      assertThat(f.getTrafficDirection()).isEqualTo(TrafficDirection.INGRESS);
      assertThat(f.getDropReasonDesc()).isEqualTo(DropReason.POLICY_DENIED);
      assertThat(f.getEventType().getType()).isEqualTo(1); // Cilium's drop notification
      // ingress default-deny: the policy that selected the server denies what it does not allow
      assertThat(names(f.getIngressDeniedByList())).containsExactly("default/server-ingress");
      assertThat(f.getEgressDeniedByList()).isEmpty();
    });
    assertThat(drops.stream().map(f -> f.getL4().getUDP().getSourcePort()).distinct()).as("one socket").hasSize(1);
    assertThat(allowed).hasSize(ALLOWED).allSatisfy(f -> {
      assertThat(f.getSource().getPodName()).isEqualTo("client");
      assertThat(f.getDestination().getPodName()).isEqualTo("server");
      assertThat(f.getTrafficDirection()).isEqualTo(TrafficDirection.INGRESS);
      assertThat(f.getEventType().getType()).isEqualTo(5); // a policy verdict notification
      assertThat(names(f.getIngressAllowedByList())).containsExactly("default/server-ingress");
    });
    assertThat(allowed.stream().map(f -> f.getL4().getUDP().getSourcePort()).distinct()).as("a socket each").hasSize(ALLOWED);
  }

  private static Endpoint endpoint(PodNetwork p, String app) {
    return new Endpoint(p.namespace(), p.name(), p.ip(), Map.of("app", app), "default", p.node().netns(), List.of());
  }

  /** hubble_flows_processed_total and hubble_drop_total on the node's 9965, by series. */
  private static Map<String, Double> flowCounts(NetNsThread node) throws Exception {
    return series(node, "hubble_flows_processed_total{", "hubble_drop_total{");
  }

  private static Map<String, Double> lostCounts(NetNsThread node) throws Exception {
    return series(node, "hubble_lost_events_total{");
  }

  private static Map<String, Double> series(NetNsThread node, String... prefixes) throws Exception {
    Map<String, Double> found = new TreeMap<>();
    PrometheusScrape.samples(node, HubbleServices.METRICS_PORT).forEach((series, value) -> {
      for (String p : prefixes) {
        if (series.startsWith(p)) {
          found.put(series, value);
        }
      }
    });
    return found;
  }

  /** Every flow the node's Observer holds (GetFlows, as {@code hubble observe --last} asks), oldest first. */
  private static List<Flow> observedFlows(NodeNetwork node) throws Exception {
    try (NamespaceDialer dialer = new NamespaceDialer(node.netns())) {
      ManagedChannel channel = dialer.dial(new PeerInfo(node.netns(), node.nodeIp(), null));
      try {
        List<Flow> flows = new ArrayList<>();
        Iterator<GetFlowsResponse> answers = ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getFlows(GetFlowsRequest.newBuilder().setNumber(FlowRing.DEFAULT_CAPACITY).build());
        answers.forEachRemaining(r -> {
          if (r.hasFlow()) {
            flows.add(r.getFlow());
          }
        });
        return flows;
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static List<String> names(List<Policy> policies) {
    return policies.stream().map(p -> p.getNamespace() + "/" + p.getName()).toList();
  }
}
