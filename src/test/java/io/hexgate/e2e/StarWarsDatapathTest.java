package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.EchoServer;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.TcpProbe;
import io.hexgate.datapath.netns.TcpProbe.Outcome;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.tls.AgentCertificateInterceptor;
import io.hexgate.operator.tls.AgentTls;
import io.hexgate.operator.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Clock;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Star Wars rule1 from examples/starwars, computed by the operator's policy engine, served over mutual TLS
 * by its NodeAgentService, and enforced by two node agents' eBPF datapaths on real TCP connections between
 * pod namespaces on two node namespaces.
 */
class StarWarsDatapathTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final PolicyRef RULE1 = PolicyRef.cnp("default", "rule1");

  @TempDir Path certs;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final List<Flow> flows = new CopyOnWriteArrayList<>();
  private final ExecutorService sender = Executors.newFixedThreadPool(2);
  private ClusterNetwork net;
  private Server server;

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (server != null) {
      server.shutdownNow();
    }
    sender.shutdownNow();
    if (net != null) {
      net.close();
    }
  }

  private static Endpoint pod(PodNetwork p, Map<String, String> labels) {
    return new Endpoint(p.namespace(), p.name(), p.ip(), labels, "default", p.node().netns(), List.of());
  }

  @Test
  void theEnginesRule1IsEnforcedOnRealConnections() throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the eBPF end-to-end test: " + why));
    net = ClusterNetwork.create("hga-e2e-");
    NodeNetwork n1 = net.addNode("n1", 1);
    NodeNetwork n2 = net.addNode("n2", 2);
    PodNetwork deathstar = n1.addPod("default", "deathstar");
    PodNetwork xwing = n1.addPod("default", "xwing");
    PodNetwork tiefighter = n2.addPod("default", "tiefighter");
    for (PodNetwork p : List.of(deathstar, xwing, tiefighter)) {
      closing.add(EchoServer.start(p, 80));
    }
    NetNsThread fromXwing = xwing.enter();
    NetNsThread fromTiefighter = tiefighter.enter();
    closing.add(fromXwing);
    closing.add(fromTiefighter);

    PolicyEngine engine = new PolicyEngine();
    engine.upsertNamespace("default", Map.of());
    engine.upsertEndpoint(pod(deathstar, Map.of("org", "empire", "class", "deathstar")));
    engine.upsertEndpoint(pod(xwing, Map.of("org", "alliance", "class", "xwing")));
    engine.upsertEndpoint(pod(tiefighter, Map.of("org", "empire", "class", "tiefighter")));
    NodeStateHub hub = new NodeStateHub();
    hub.changed(engine, Set.of());

    CertificateAuthority ca = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
    NodeAgentService service =
        new NodeAgentService(
            hub, reports::add, (node, batch) -> flows.addAll(batch.getFlowsList()), sender,
            NodeAgentService.Authentication.REQUIRE_CERTIFICATE);
    server =
        Grpc.newServerBuilderForPort(0, AgentTls.serverCredentials(ca.issueServer("hexgate-operator", List.of("localhost"), List.of())))
            .addService(ServerInterceptors.intercept(service, new AgentCertificateInterceptor()))
            .build()
            .start();
    for (NodeNetwork n : List.of(n1, n2)) {
      ca.issueAgent(n.netns()).writeTo(certs.resolve(n.netns()));
      ManagedChannel channel = AgentCredentials.channel("localhost:" + server.getPort(), certs.resolve(n.netns()), null);
      closing.add(channel::shutdownNow);
      closing.add(
          NodeAgent.start(
              new NodeAgent.Config(n.netns(), n.netns(), n.pinDir(), List.of(n.uplink()), 0, NodeAgent.Mode.BPF), channel));
    }
    await().atMost(WAIT).until(() -> service.connectedNodes().equals(Set.of(n1.netns(), n2.netns())));
    await().atMost(WAIT).until(() -> reports.stream().filter(AgentReport::ok).map(AgentReport::node).distinct().count() == 2);

    // no policy: everyone connects
    assertThat(TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);

    CiliumNetworkPolicy cnp =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    engine.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec"));
    hub.changed(engine, Set.of());
    long revision = hub.find(n1.netns()).current().revision();
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(reports).anyMatch(r -> r.node().equals(n1.netns()) && r.revision() == revision && r.ok()
            && r.policies().contains(RULE1)));

    assertThat(TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofMillis(800))).isEqualTo(Outcome.TIMED_OUT);
    assertThat(TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    // the verdicts reach the operator as flows naming the policy
    await().atMost(WAIT).untilAsserted(() -> assertThat(flows).anyMatch(f ->
        f.getVerdict() == Verdict.VERDICT_DROPPED && f.getDropReason() == 133 && f.getSourceIp().equals(xwing.ip())));
    await().atMost(WAIT).untilAsserted(() -> assertThat(flows).anyMatch(f ->
        f.getVerdict() == Verdict.VERDICT_FORWARDED && f.getSourceIp().equals(tiefighter.ip())
            && f.getDestinationIp().equals(deathstar.ip())
            && f.getPoliciesList().stream().anyMatch(p -> p.getName().equals("rule1"))));
  }
}
