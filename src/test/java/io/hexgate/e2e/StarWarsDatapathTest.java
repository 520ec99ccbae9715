package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
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
import io.hexgate.datapath.netns.TrafficLoop;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Star Wars rule1 from examples/starwars, computed by the operator's policy engine (fed by the test),
 * served on the operator's mutual TLS agent port with its CA in a Secret, and enforced by two node
 * agents' eBPF datapaths on real TCP connections between pod namespaces on two node namespaces.
 */
class StarWarsDatapathTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final PolicyRef RULE1 = PolicyRef.cnp("default", "rule1");

  @TempDir Path certs;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final List<Flow> flows = new CopyOnWriteArrayList<>();
  private final MockApi api = new MockApi();
  private HexgateOperator operator;
  private ClusterNetwork net;

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (operator != null) {
      operator.stop();
    }
    api.close();
    if (net != null) {
      net.close();
    }
  }

  /**
   * The agents as processes of their own ({@code hexgate agent}), killed with SIGKILL and started again
   * while connections run: the kernel keeps enforcing the pinned state, the new process adopts it.
   */
  @Test
  void killingTheAgentProcessesDuringTrafficLetsNothingDeniedThroughAndBreaksNothingAllowed() throws Exception {
    StarWars sw = starWars("hga-e2k-");
    NodeNetwork n1 = sw.n1();
    NodeNetwork n2 = sw.n2();
    NetNsThread fromXwing = sw.fromXwing();
    NetNsThread fromTiefighter = sw.fromTiefighter();
    CiliumNetworkPolicy cnp =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    operator.engine().apply(e -> e.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec")));
    CertificateAuthority ca = agentCa();
    Map<NodeNetwork, Process> agents = new java.util.HashMap<>();
    for (NodeNetwork n : List.of(n1, n2)) {
      ca.issueAgent(n.netns()).writeTo(certs.resolve(n.netns()));
      agents.put(n, agentProcess(n));
    }
    closing.add(() -> agents.values().forEach(Process::destroyForcibly));
    awaitAcked(n1, n2, 0);

    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger allowed = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger denied = new java.util.concurrent.atomic.AtomicInteger();
    List<String> wrong = new CopyOnWriteArrayList<>();
    Thread tie = TrafficLoop.start(stop, Duration.ofSeconds(120), () -> {
      Outcome o = TcpProbe.attempt(fromTiefighter, sw.deathstar().ip(), 80, Duration.ofSeconds(3));
      if (o == Outcome.ANSWERED) {
        allowed.incrementAndGet();
      } else {
        wrong.add("tiefighter: " + o);
      }
    });
    Thread xw = TrafficLoop.start(stop, Duration.ofSeconds(120), () -> {
      Outcome o = TcpProbe.attempt(fromXwing, sw.deathstar().ip(), 80, Duration.ofMillis(300));
      denied.incrementAndGet();
      if (o != Outcome.TIMED_OUT) {
        wrong.add("xwing: " + o);
      }
    });
    try {
      Thread.sleep(700);
      for (Process p : agents.values()) {
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, only the kernel's cleanup of the process
      }
      int whileDead = allowed.get();
      Thread.sleep(1000);
      assertThat(allowed.get()).as("allowed connections while no agent runs").isGreaterThan(whileDead);
      int reportsBefore = reports.size();
      for (NodeNetwork n : List.of(n1, n2)) {
        agents.put(n, agentProcess(n));
      }
      awaitAcked(n1, n2, reportsBefore);
      int after = allowed.get();
      Thread.sleep(700);
      assertThat(allowed.get()).isGreaterThan(after);
    } finally {
      stop.set(true);
      tie.join(10_000);
      xw.join(10_000);
    }
    assertThat(wrong).as("denied connections that got through, allowed ones that broke").isEmpty();
    assertThat(denied.get()).isGreaterThan(5);
  }

  /** Waits until each node's agent has ACKed its state (with rule1) in a report after the first {@code from}. */
  private void awaitAcked(NodeNetwork n1, NodeNetwork n2, int from) {
    for (NodeNetwork n : List.of(n1, n2)) {
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        // A copy: a view of the live list fails with ConcurrentModificationException once a report arrives.
        List<AgentReport> seen = List.copyOf(reports);
        assertThat(seen.subList(from, seen.size()))
            .anyMatch(r -> r.node().equals(n.netns()) && r.ok() && (n != n1 || r.policies().contains(RULE1)));
      });
    }
  }

  /** {@code hexgate agent} for the node, as a JVM of its own on this test's classpath. */
  private Process agentProcess(NodeNetwork n) throws Exception {
    Path log = certs.resolve(n.netns() + "-" + System.nanoTime() + ".log");
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            "io.hexgate.cli.HexgateCli", "agent",
            "--node", n.netns(), "--operator", "localhost:" + operator.ports().agentPort(),
            "--cert-dir", certs.resolve(n.netns()).toString(), "--netns", n.netns(),
            "--pin-dir", n.pinDir().toString(), "--datapath", "bpf", "--metrics-port", "0")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /**
   * Rule1's cast: deathstar and xwing on node n1, tiefighter on n2, each answering on port 80, in the
   * engine of the started {@link #operator}.
   */
  private record StarWars(
      NodeNetwork n1, NodeNetwork n2, PodNetwork deathstar, PodNetwork xwing, PodNetwork tiefighter,
      NetNsThread fromXwing, NetNsThread fromTiefighter) {}

  private StarWars starWars(String netnsPrefix) throws Exception {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the eBPF end-to-end test: " + why));
    net = ClusterNetwork.create(netnsPrefix);
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

    // agents reach it on its agent port, as in production; the test feeds the engine
    operator =
        HexgateOperator.create(
            OperatorConfig.builder(api.client())
                .withoutLeaderElection()
                .withoutWatchingApi()
                .agents(new AgentEndpoint.Tls(0, CaSecretStore.DEFAULT_NAME, List.of(), CertificateAuthority.LEAF_VALIDITY))
                .withoutMetrics()
                .withoutRelay()
                .build());
    operator.addReportListener(reports::add);
    operator.addFlowListener((node, batch) -> flows.addAll(batch.getFlowsList()));
    operator.start();
    operator.engine().apply(e -> {
      e.upsertNamespace("default", Map.of());
      e.upsertEndpoint(pod(deathstar, Map.of("org", "empire", "class", "deathstar")));
      e.upsertEndpoint(pod(xwing, Map.of("org", "alliance", "class", "xwing")));
      e.upsertEndpoint(pod(tiefighter, Map.of("org", "empire", "class", "tiefighter")));
    });
    return new StarWars(n1, n2, deathstar, xwing, tiefighter, fromXwing, fromTiefighter);
  }

  /** The CA the operator created in its Secret, which agents' certificates are issued from (hexgate agent-cert). */
  private CertificateAuthority agentCa() {
    KubernetesClient client = api.client();
    return new CaSecretStore(client, client.getNamespace(), CaSecretStore.DEFAULT_NAME, Clock.systemUTC()).load().orElseThrow();
  }

  private static Endpoint pod(PodNetwork p, Map<String, String> labels) {
    return new Endpoint(p.namespace(), p.name(), p.ip(), labels, "default", p.node().netns(), List.of());
  }

  @Test
  void theEnginesRule1IsEnforcedOnRealConnections() throws Exception {
    StarWars sw = starWars("hga-e2e-");
    NodeNetwork n1 = sw.n1();
    NodeNetwork n2 = sw.n2();
    PodNetwork deathstar = sw.deathstar();
    NetNsThread fromXwing = sw.fromXwing();
    NetNsThread fromTiefighter = sw.fromTiefighter();
    CertificateAuthority ca = agentCa();
    for (NodeNetwork n : List.of(n1, n2)) {
      ca.issueAgent(n.netns()).writeTo(certs.resolve(n.netns()));
      ManagedChannel channel = AgentCredentials.channel("localhost:" + operator.ports().agentPort(), certs.resolve(n.netns()), null);
      closing.add(channel::shutdownNow);
      closing.add(
          NodeAgent.start(
              new NodeAgent.Config(n.netns(), n.netns(), n.pinDir(), List.of(n.uplink()), 0, NodeAgent.Mode.BPF), channel));
    }
    await().atMost(WAIT).until(() -> operator.agentService().connectedNodes().equals(Set.of(n1.netns(), n2.netns())));
    await().atMost(WAIT).until(() -> reports.stream().filter(AgentReport::ok).map(AgentReport::node).distinct().count() == 2);

    // no policy: everyone connects
    assertThat(TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    assertThat(TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);

    CiliumNetworkPolicy cnp =
        new ObjectMapper(new YAMLFactory())
            .readValue(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
    operator.engine().apply(e -> e.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec")));
    long revision = operator.nodes().find(n1.netns()).current().revision();
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(reports).anyMatch(r -> r.node().equals(n1.netns()) && r.revision() == revision && r.ok()
            && r.policies().contains(RULE1)));

    assertThat(TcpProbe.attempt(fromXwing, deathstar.ip(), 80, Duration.ofMillis(800))).isEqualTo(Outcome.TIMED_OUT);
    assertThat(TcpProbe.attempt(fromTiefighter, deathstar.ip(), 80, Duration.ofSeconds(3))).isEqualTo(Outcome.ANSWERED);
    // the verdicts reach the operator as flows naming the policy
    await().atMost(WAIT).untilAsserted(() -> assertThat(flows).anyMatch(f ->
        f.getVerdict() == Verdict.VERDICT_DROPPED && f.getDropReason() == 133 && f.getSourceIp().equals(sw.xwing().ip())));
    await().atMost(WAIT).untilAsserted(() -> assertThat(flows).anyMatch(f ->
        f.getVerdict() == Verdict.VERDICT_FORWARDED && f.getSourceIp().equals(sw.tiefighter().ip())
            && f.getDestinationIp().equals(deathstar.ip())
            && f.getPoliciesList().stream().anyMatch(p -> p.getName().equals("rule1"))));
  }
}
