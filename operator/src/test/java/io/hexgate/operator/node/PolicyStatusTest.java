package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.TestOperator;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real operator on the CRUD mock API, with in-process test agents on the real contract over mutual TLS
 * on localhost: CNP/CCNP status from their ACKs, NACKs and flows, written by the status writer.
 */
class PolicyStatusTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private HexgateOperator operator;
  private TlsAgentPort port;
  private TestingAgent nodeA;
  private TestingAgent nodeB;

  @BeforeEach
  void start() throws IOException {
    operator = TestOperator.create(api.client(), new MutableClock());
    port = new TlsAgentPort(operator.agentService());
    operator.start();
    nodeA = new TestingAgent("node-a").connect(port.channelFor("node-a"));
    nodeB = new TestingAgent("node-b").connect(port.channelFor("node-b"));
    kube.resource(pod("deathstar-1", "10.0.1.10", Map.of("org", "empire", "class", "deathstar"), "node-a")).create();
    kube.resource(pod("deathstar-2", "10.0.2.10", Map.of("org", "empire", "class", "deathstar"), "node-b")).create();
    kube.resource(pod("tiefighter", "10.0.2.11", Map.of("org", "empire", "class", "tiefighter"), "node-b")).create();
    kube.resource(pod("xwing", "10.0.2.12", Map.of("org", "alliance", "class", "xwing"), "node-b")).create();
  }

  @AfterEach
  void stop() {
    port.close();
    operator.stop();
    api.close();
  }

  static Pod pod(String name, String ip, Map<String, String> labels, String node) {
    return new PodBuilder()
        .withNewMetadata().withNamespace("default").withName(name).withLabels(labels).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
        .withNewStatus().withPodIP(ip).withPhase("Running").endStatus()
        .build();
  }

  private CiliumNetworkPolicy rule1() throws IOException {
    try (InputStream in = Files.newInputStream(RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml"))) {
      CiliumNetworkPolicy cnp = kube.getKubernetesSerialization().unmarshal(in, CiliumNetworkPolicy.class);
      cnp.getMetadata().setNamespace("default");
      return cnp;
    }
  }

  private PolicyStatus status(String name) {
    CiliumNetworkPolicy cnp = kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName(name).get();
    return cnp == null ? null : cnp.getStatus();
  }

  private static Condition condition(PolicyStatus s, String type) {
    assertThat(s).isNotNull();
    assertThat(s.conditions).isNotNull();
    return s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  private void awaitRule1EnforcedEverywhere() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              PolicyStatus s = status("rule1");
              assertThat(condition(s, "Valid").getStatus()).isEqualTo("True");
              assertThat(condition(s, "Enforced").getStatus()).isEqualTo("True");
              assertThat(s.observedGeneration).isEqualTo(1L);
              assertThat(s.enforcement.nodes).isEqualTo("2/2");
              assertThat(s.enforcement.revision).isEqualTo(1L);
              assertThat(s.nodes).containsOnlyKeys("node-a", "node-b");
              assertThat(s.nodes.get("node-a").localPolicyRevision).isEqualTo(nodeA.applied);
              assertThat(s.nodes.get("node-b").localPolicyRevision).isEqualTo(nodeB.applied);
              s.nodes.values().forEach(n -> {
                assertThat(n.enforcing).isTrue();
                assertThat(n.ok).isTrue();
                assertThat(n.error).isNull();
                assertThat(n.lastUpdated).isNotNull();
              });
            });
  }

  @Test
  void shouldShowEveryNodeEnforcingStarWarsRule1AtItsNewRevision() throws IOException {
    kube.resource(rule1()).create();
    awaitRule1EnforcedEverywhere();
    // both agents hold rule1 in their rule maps at the revision the status names
    assertThat(nodeA.endpoints.get("default/deathstar-1").getIngress().getEntriesCount()).isPositive();
    assertThat(nodeB.endpoints.get("default/deathstar-2").getIngress().getEntriesCount()).isPositive();
    assertThat(status("rule1").flows.allowed).isZero();
  }

  @Test
  void shouldNeverCountANodeOnTheJavaDatapathAsEnforcing() throws IOException {
    kube.resource(rule1()).create();
    awaitRule1EnforcedEverywhere();
    // node-b's agent restarts without eBPF: it accepts every revision, and its kernel judges nothing
    nodeB.disconnect();
    TestingAgent javaB =
        new TestingAgent("node-b")
            .notEnforcing("the node runs the Java datapath, which judges no packet: --datapath java")
            .connect(port.channelFor("node-b"));
    await().atMost(WAIT).until(() -> javaB.applied > 0);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              PolicyStatus s = status("rule1");
              assertThat(s.enforcement.nodes).isEqualTo("1/2");
              assertThat(s.enforcement.enforcing).isEqualTo(1);
              assertThat(s.nodes.get("node-a").enforcing).isTrue();
              assertThat(s.nodes.get("node-a").notEnforcingReason).isNull();
              PolicyStatus.NodePolicyStatus b = s.nodes.get("node-b");
              assertThat(b.enforcing).isFalse();
              assertThat(b.localPolicyRevision).isEqualTo(javaB.applied); // accepted, yet not enforcing
              assertThat(b.notEnforcingReason).contains("Java datapath");
              Condition enforced = condition(s, "Enforced");
              assertThat(enforced.getStatus()).isEqualTo("False");
              assertThat(enforced.getReason()).isEqualTo("KernelNotEnforcing");
              assertThat(enforced.getMessage()).contains("node-b (the node runs the Java datapath");
            });
    // the CiliumEndpoints of node-b's pods say their policy is not enforced; node-a's still are
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              var b = kube.resources(io.hexgate.operator.endpoint.api.CiliumEndpoint.class)
                  .inNamespace("default").withName("deathstar-2").get();
              assertThat(b.getStatus().policy.ingress.enforcing).isFalse();
              assertThat(b.getStatus().policy.ingress.state).isEqualTo("non-enforcing");
              var a = kube.resources(io.hexgate.operator.endpoint.api.CiliumEndpoint.class)
                  .inNamespace("default").withName("deathstar-1").get();
              assertThat(a.getStatus().policy.ingress.enforcing).isTrue();
              assertThat(a.getStatus().policy.ingress.state).isEqualTo("enforcing");
            });
  }

  @Test
  void shouldShowANackAsNotOkWithTheAgentsError() throws IOException {
    kube.resource(rule1()).create();
    awaitRule1EnforcedEverywhere();
    nodeB.nackWith = "bpf map full";
    // a patch: the operator may have written the status since the last read
    kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("rule1").edit(v2 -> {
      v2.getSpec().ingress.get(0).toPorts.get(0).ports.get(0).port = "443";
      return v2;
    });

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              PolicyStatus s = status("rule1");
              assertThat(s.observedGeneration).isEqualTo(2L);
              assertThat(s.nodes.get("node-b").ok).isFalse();
              assertThat(s.nodes.get("node-b").error).isEqualTo("bpf map full");
              assertThat(s.nodes.get("node-b").enforcing).isFalse();
              assertThat(s.nodes.get("node-a").enforcing).isTrue();
              assertThat(s.nodes.get("node-a").ok).isTrue();
              assertThat(s.enforcement.nodes).isEqualTo("1/2");
              assertThat(s.enforcement.revision).isEqualTo(1L); // generation 2 is not everywhere yet
              Condition enforced = condition(s, "Enforced");
              assertThat(enforced.getStatus()).isEqualTo("False");
              assertThat(enforced.getReason()).isEqualTo("AgentError");
              assertThat(enforced.getMessage()).contains("node-b");
            });
  }

  @Test
  void shouldMarkInvalidPoliciesWithTheFieldWhileTheOthersStayEnforced() throws IOException {
    kube.resource(rule1()).create();
    kube.resource(
            cnp(
                """
                metadata: {name: bad-port, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {class: xwing}}
                  ingress:
                  - toPorts: [{ports: [{port: "eighty", protocol: TCP}]}]
                """))
        .create();
    kube.resource(
            cnp(
                """
                metadata: {name: bad-entity, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {class: tiefighter}}
                  egress:
                  - toEntities: [galaxy]
                """))
        .create();
    kube.resource(
            cnp(
                """
                metadata: {name: bad-cidr, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {class: tiefighter}}
                  egress:
                  - toCIDR: ["10.0.0.0/33"]
                """))
        .create();
    CiliumClusterwideNetworkPolicy ccnp =
        kube.getKubernetesSerialization()
            .unmarshal(
                """
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: xwing-egress}
                spec:
                  endpointSelector: {matchLabels: {class: xwing}}
                  egress:
                  - toEndpoints: [{matchLabels: {org: alliance}}]
                """,
                CiliumClusterwideNetworkPolicy.class);
    kube.resource(ccnp).create();

    awaitRule1EnforcedEverywhere();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Condition port = condition(status("bad-port"), "Valid");
              assertThat(port.getStatus()).isEqualTo("False");
              assertThat(port.getReason()).isEqualTo("InvalidPolicy");
              assertThat(port.getMessage()).contains("spec.ingress[0].toPorts[0].ports[0].port").contains("eighty");
              assertThat(condition(status("bad-port"), "Enforced").getStatus()).isEqualTo("False");
              Condition entity = condition(status("bad-entity"), "Valid");
              assertThat(entity.getStatus()).isEqualTo("False");
              assertThat(entity.getReason()).isEqualTo("InvalidPolicy");
              assertThat(entity.getMessage()).contains("spec.egress[0].toEntities[0]").contains("galaxy");
              assertThat(condition(status("bad-entity"), "Enforced").getStatus()).isEqualTo("False");
              Condition cidr = condition(status("bad-cidr"), "Valid");
              assertThat(cidr.getStatus()).isEqualTo("False");
              assertThat(cidr.getMessage()).contains("spec.egress[0].toCIDR[0]").contains("10.0.0.0/33");
              PolicyStatus cluster =
                  kube.resources(CiliumClusterwideNetworkPolicy.class).withName("xwing-egress").get().getStatus();
              assertThat(condition(cluster, "Valid").getStatus()).isEqualTo("True");
              assertThat(condition(cluster, "Enforced").getStatus()).isEqualTo("True");
              assertThat(cluster.enforcement.nodes).isEqualTo("1/1");
              assertThat(cluster.nodes).containsOnlyKeys("node-b");
            });
    // rule1, in the same namespace as the invalid ones, is still enforced on every node
    PolicyStatus rule1 = status("rule1");
    assertThat(condition(rule1, "Enforced").getStatus()).isEqualTo("True");
    assertThat(rule1.nodes.values()).allSatisfy(n -> assertThat(n.enforcing).isTrue());
    // the valid ones are in the agents' rule maps, the invalid ones nowhere
    assertThat(nodeB.endpoints.get("default/xwing").getEgress().getEntriesCount()).isPositive();
    assertThat(nodeA.endpoints.get("default/deathstar-1").getIngress().getEntriesCount()).isPositive();
    assertThat(nodeB.endpoints.get("default/tiefighter").getEgress().getEnforcing()).isFalse();
    assertThat(nodeB.endpoints.get("default/xwing").getIngress().getEnforcing()).isFalse();
  }

  @Test
  void shouldCountFlowsPerPolicyAndWriteNothingAtSteadyState() throws Exception {
    kube.resource(rule1()).create();
    awaitRule1EnforcedEverywhere();
    io.hexgate.contract.v1.PolicyRef rule1 =
        io.hexgate.contract.v1.PolicyRef.newBuilder()
            .setKind("CiliumNetworkPolicy")
            .setNamespace("default")
            .setName("rule1")
            .build();
    FlowBatch.Builder batch = FlowBatch.newBuilder();
    for (int i = 0; i < 100; i++) {
      batch.addFlows(Flow.newBuilder().setVerdict(i < 70 ? Verdict.VERDICT_FORWARDED : Verdict.VERDICT_DROPPED).addPolicies(rule1));
    }
    long before = operator.statusWriter().writes();
    nodeA.sendFlows(batch.build());
    nodeB.sendFlows(batch.build());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(status("rule1").flows.allowed).isEqualTo(140L);
              assertThat(status("rule1").flows.denied).isEqualTo(60L);
            });
    // 200 flows in two batches: one or two writes, never one per flow
    assertThat(operator.statusWriter().writes() - before).isBetween(1L, 2L);

    String resourceVersion = kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("rule1").get()
        .getMetadata().getResourceVersion();
    long steady = operator.statusWriter().writes();
    Thread.sleep(1500); // seven writer passes
    assertThat(operator.statusWriter().writes()).isEqualTo(steady);
    assertThat(kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("rule1").get()
        .getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
    List<Condition> conditions = status("rule1").conditions;
    assertThat(conditions).allSatisfy(c -> assertThat(c.getLastTransitionTime()).isNotNull());
  }

  @Test
  void shouldIgnoreFlowsANodeSendsForPoliciesSelectingNoneOfItsEndpoints() throws Exception {
    kube.resource(rule1()).create();
    kube.resource(
            cnp(
                """
                metadata: {name: xwing-only, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {class: xwing}}
                  ingress:
                  - fromEndpoints: [{matchLabels: {org: alliance}}]
                """))
        .create();
    awaitRule1EnforcedEverywhere();
    await().atMost(WAIT).untilAsserted(() -> assertThat(status("xwing-only").enforcement.nodes).isEqualTo("1/1"));
    FlowBatch.Builder forged = FlowBatch.newBuilder();
    for (int i = 0; i < 50; i++) {
      forged.addFlows(Flow.newBuilder().setVerdict(Verdict.VERDICT_FORWARDED).addPolicies(ref("xwing-only")));
    }
    // node-a holds no xwing: its agent cannot raise xwing-only's counters, only rule1's
    nodeA.sendFlows(forged.build());
    nodeA.sendFlows(FlowBatch.newBuilder().addFlows(Flow.newBuilder().setVerdict(Verdict.VERDICT_FORWARDED).addPolicies(ref("rule1"))).build());
    await().atMost(WAIT).untilAsserted(() -> assertThat(status("rule1").flows.allowed).isEqualTo(1L));
    FlowBatch.Builder honest = FlowBatch.newBuilder();
    for (int i = 0; i < 3; i++) {
      honest.addFlows(Flow.newBuilder().setVerdict(Verdict.VERDICT_DROPPED).addPolicies(ref("xwing-only")));
    }
    nodeB.sendFlows(honest.build());
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(status("xwing-only").flows.denied).isEqualTo(3L);
      assertThat(status("xwing-only").flows.allowed).isZero();
    });
  }

  private static io.hexgate.contract.v1.PolicyRef ref(String name) {
    return io.hexgate.contract.v1.PolicyRef.newBuilder()
        .setKind("CiliumNetworkPolicy").setNamespace("default").setName(name).build();
  }

  private CiliumNetworkPolicy cnp(String body) {
    return kube.getKubernetesSerialization()
        .unmarshal("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n" + body, CiliumNetworkPolicy.class);
  }
}
