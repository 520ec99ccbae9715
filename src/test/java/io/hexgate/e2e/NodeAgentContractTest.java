package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.agent.Backoff;
import io.hexgate.datapath.agent.KernelEnforcement;
import io.hexgate.datapath.agent.OperatorClient;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.PolicyStatus;
import io.hexgate.operator.status.PolicyStatusTracker;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's agent service and the datapath's OperatorClient over mutual TLS, certificates from files;
 * the test feeds the operator's engine itself.
 */
class NodeAgentContractTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final PolicyRef RULE1 = PolicyRef.cnp("default", "rule1");

  @TempDir Path certs;
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final List<String> flowNodes = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final MockApi api = new MockApi();
  private HexgateOperator operator;
  private Server server;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    if (server != null) {
      server.shutdownNow();
    }
    if (operator != null) {
      operator.stop();
    }
    scheduler.shutdownNow();
    api.close();
  }

  /**
   * The operator with its engine fed by the test instead of the API, its agent service behind a mutual
   * TLS server with a server certificate from {@code ca} (agents' certificates come from files).
   */
  private HexgateOperator startOperator(CertificateAuthority ca) throws Exception {
    operator =
        HexgateOperator.create(
            OperatorConfig.builder(api.client())
                .withoutLeaderElection()
                .withoutWatchingApi()
                .agents(new AgentEndpoint.ServedByCaller(NodeAgentService.Authentication.REQUIRE_CERTIFICATE))
                .withoutMetrics()
                .withoutRelay()
                .build());
    operator.addReportListener(reports::add);
    operator.addFlowListener((node, batch) -> flowNodes.add(node));
    operator.start();
    server =
        Grpc.newServerBuilderForPort(0, AgentTls.serverCredentials(ca.issueServer("hexgate-operator", List.of("localhost"), List.of())))
            .addService(ServerInterceptors.intercept(operator.agentService(), new AgentCertificateInterceptor()))
            .build()
            .start();
    return operator;
  }

  @Test
  void shouldBringStarWarsRule1ToEveryNodeAndReportAcksAndNacks() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
    HexgateOperator operator = startOperator(ca);
    EngineWriter engine = operator.engine();
    NodeStateHub hub = operator.nodes();
    engine.apply(
        e -> {
          e.upsertNamespace("default", Map.of());
          e.upsertEndpoint(pod("deathstar", "10.0.1.10", Map.of("org", "empire", "class", "deathstar"), "node-a"));
          e.upsertEndpoint(pod("tiefighter", "10.0.2.10", Map.of("org", "empire", "class", "tiefighter"), "node-b"));
          e.upsertEndpoint(pod("xwing", "10.0.2.11", Map.of("org", "alliance", "class", "xwing"), "node-b"));
        });
    // How an agent gets its identity: the operator writes tls.crt, tls.key and ca.crt per node.
    ca.issueAgent("node-a").writeTo(certs.resolve("node-a"));
    ca.issueAgent("node-b").writeTo(certs.resolve("node-b"));

    List<String> nodeBFailure = new CopyOnWriteArrayList<>();
    OperatorClient a = agent("node-a", (u, next) -> Map.of());
    OperatorClient b =
        agent(
            "node-b",
            (u, next) -> {
              if (!nodeBFailure.isEmpty()) {
                throw new IllegalStateException(nodeBFailure.get(0));
              }
              return Map.of();
            });
    await().atMost(WAIT).until(() -> operator.agentService().connectedNodes().equals(Set.of("node-a", "node-b")));
    await().atMost(WAIT).until(() -> reports.size() == 2);

    CiliumNetworkPolicy cnp =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    engine.apply(e -> e.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec")));

    long revisionA = hub.find("node-a").current().revision();
    await().atMost(WAIT).until(() -> a.state().revision() == revisionA);
    EndpointState deathstar = a.state().endpoints().values().iterator().next();
    assertThat(deathstar.getIngress().getEnforcing()).isTrue();
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(reports).anyMatch(r -> r.node().equals("node-a") && r.revision() == revisionA && r.ok()
            && r.policies().contains(RULE1)));

    // node-b runs no endpoint rule1 selects; a failure there comes back as a NACK with the agent's words.
    nodeBFailure.add("bpf map full");
    engine.apply(e -> e.upsertEndpoint(pod("xwing-2", "10.0.2.12", Map.of("org", "alliance", "class", "xwing"), "node-b")));
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(reports).anyMatch(r -> r.node().equals("node-b") && !r.accepted() && r.error().equals("bpf map full")));
    // node-a got the new pod's address in its IP cache
    await().atMost(WAIT).until(() -> a.state().ipcache().containsKey("10.0.2.12/32"));

    b.sendFlows(FlowBatch.newBuilder().addFlows(Flow.newBuilder().setDropReason(133)).build());
    await().atMost(WAIT).until(() -> flowNodes.contains("node-b"));
  }

  /**
   * The real node agent on the Java datapath says so in its Hello and ACKs; the operator's status tracker
   * never counts its node as enforcing, and names the reason, while an eBPF node that ACKed counts.
   */
  @Test
  void shouldNeverCountANodeOnTheJavaDatapathAsEnforcing() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());
    HexgateOperator operator = startOperator(ca);
    CiliumNetworkPolicy cnp =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    operator.validity().record(RULE1, 1L, List.of());
    operator.engine().apply(
        e -> {
          e.upsertNamespace("default", Map.of());
          e.upsertEndpoint(pod("deathstar", "10.0.1.10", Map.of("org", "empire", "class", "deathstar"), "node-a"));
          e.upsertEndpoint(pod("deathstar-2", "10.0.2.10", Map.of("org", "empire", "class", "deathstar"), "node-b"));
          e.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec"));
        });
    NodeStateHub hub = operator.nodes();
    PolicyStatusTracker tracker = operator.policyStatus();
    ca.issueAgent("node-a").writeTo(certs.resolve("node-a"));
    ca.issueAgent("node-b").writeTo(certs.resolve("node-b"));

    ManagedChannel channelA = AgentCredentials.channel("localhost:" + server.getPort(), certs.resolve("node-a"), null);
    closing.add(channelA::shutdownNow);
    OperatorClient a =
        new OperatorClient(channelA, "node-a", (u, next) -> Map.of(), () -> KernelEnforcement.ENFORCING, scheduler,
            new Backoff(Duration.ofMillis(20), Duration.ofMillis(200)), 16);
    closing.add(a);
    a.start();
    ManagedChannel channelB = AgentCredentials.channel("localhost:" + server.getPort(), certs.resolve("node-b"), null);
    closing.add(channelB::shutdownNow);
    NodeAgent b = NodeAgent.start(new NodeAgent.Config("node-b", null, null, List.of(), 0, NodeAgent.Mode.JAVA), channelB);
    closing.add(b);

    long revisionB = hub.find("node-b").current().revision();
    await().atMost(WAIT).until(() -> b.client().state().revision() == revisionB && a.state().revision() > 0);
    await().atMost(WAIT).untilAsserted(() -> {
      PolicyStatus s = tracker.desired(RULE1);
      assertThat(s.enforcement.nodes).isEqualTo("1/2");
      assertThat(s.nodes.get("node-a").enforcing).isTrue();
      assertThat(s.nodes.get("node-b").enforcing).isFalse();
      assertThat(s.nodes.get("node-b").localPolicyRevision).isEqualTo(revisionB);
      assertThat(s.nodes.get("node-b").notEnforcingReason).contains("Java datapath").contains("--datapath java");
      assertThat(s.conditions).filteredOn(c -> c.getType().equals("Enforced")).singleElement()
          .satisfies(c -> assertThat(c.getReason()).isEqualTo("KernelNotEnforcing"));
    });
  }

  private OperatorClient agent(String node, io.hexgate.datapath.agent.DesiredStateApplier applier) {
    ManagedChannel channel = AgentCredentials.channel("localhost:" + server.getPort(), certs.resolve(node), null);
    OperatorClient c =
        new OperatorClient(channel, node, applier, scheduler, new Backoff(Duration.ofMillis(20), Duration.ofMillis(200)), 16);
    closing.add(channel::shutdownNow);
    closing.add(c);
    c.start();
    return c;
  }

  private static Endpoint pod(String name, String ip, Map<String, String> labels, String node) {
    return new Endpoint("default", name, ip, labels, "default", node, List.of());
  }
}
