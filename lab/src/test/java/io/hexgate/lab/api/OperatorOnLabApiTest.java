package io.hexgate.lab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.status.PolicyStatusTracker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real operator, with leader election through a Lease, against the lab API while kubectl applies the
 * Star Wars files: it writes CiliumEndpoints for the running pods and the policy's status, which kubectl
 * get and describe show.
 */
class OperatorOnLabApiTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private LabApiServer api;
  private HexgateOperator operator;
  private Kubectl kubectl;

  @BeforeEach
  void start() {
    api = LabApiServer.start(0, LabApiServer.crdFiles(RepoRoot.find().resolve("crds")));
    kubectl = Kubectl.find(api.writeKubeconfig(dir.resolve("kubeconfig")), dir);
    operator = HexgateOperator.create(
        OperatorConfig.builder(api.client())
            .lease("default", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), "lab-test", false)
            .agents(new AgentEndpoint.ServedByCaller(NodeAgentService.Authentication.REQUIRE_CERTIFICATE))
            .status(PolicyStatusTracker.DEFAULT_NODE_LIMIT, Duration.ofMillis(200))
            .withoutMetrics()
            .withoutRelay()
            .build());
    operator.start();
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.stop();
    }
    if (api != null) {
      api.close();
    }
  }

  /** What the lab's CNI does once a pod's network is up: its IP and phase, through the status subresource. */
  private static void run(KubernetesClient kube, String name, String ip) {
    Pod pod = kube.pods().inNamespace("default").withName(name).get();
    pod.getSpec().setNodeName("lab-node-1");
    pod = kube.resource(pod).update();
    pod.getStatus().setPhase("Running");
    pod.getStatus().setPodIP(ip);
    kube.resource(pod).updateStatus();
  }

  @Test
  void writesPolicyStatusAndEndpointsThatKubectlShows() {
    kubectl.run("apply", "-f", RepoRoot.starWars("http-sw-app.yaml").toString()).ok();
    kubectl.run("apply", "-f", RepoRoot.starWars("sw_l3_l4_policy.yaml").toString()).ok();
    KubernetesClient kube = api.client();
    run(kube, "tiefighter", "10.200.1.11");
    run(kube, "xwing", "10.200.1.12");

    await().atMost(WAIT).untilAsserted(() -> assertThat(
        kubectl.run("get", "cnp", "rule1", "-o", "jsonpath={.status.conditions[?(@.type==\"Valid\")].status}").ok().out())
        .isEqualTo("True"));
    assertThat(kubectl.run("get", "cnp", "rule1").ok().out()).containsPattern("rule1 +True +\\S+ +\\d+s");
    String described = kubectl.run("describe", "cnp", "rule1").ok().out();
    assertThat(described).contains("Status:", "Conditions:").containsPattern("Type: +Valid")
        .containsPattern("Observed Generation: +1");

    await().atMost(WAIT).untilAsserted(() -> assertThat(kubectl.run("get", "cep").ok().out())
        .containsPattern("tiefighter +\\d+ +\\S* *10\\.200\\.1\\.11").containsPattern("xwing +\\d+ +\\S* *10\\.200\\.1\\.12"));
    assertThat(kube.leases().inNamespace("default").withName(OperatorConfig.DEFAULT_LEASE_NAME).get().getSpec()
        .getHolderIdentity()).isEqualTo("lab-test");
    assertThat(Map.of("leader", operator.isLeader())).containsEntry("leader", true);
  }

  @Test
  void describeShowsTheFieldsAPolicyUsesThatAreNotEnforced() throws java.io.IOException {
    Path file = dir.resolve("mtls.yaml");
    java.nio.file.Files.writeString(file, """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: mtls}
        spec:
          endpointSelector: {matchLabels: {app: api}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: client}}]
            authentication: {mode: required}
        """);
    kubectl.run("apply", "-f", file.toString()).ok();

    await().atMost(WAIT).untilAsserted(() -> assertThat(
        kubectl.run("get", "cnp", "mtls", "-o", "jsonpath={.status.conditions[?(@.type==\"FieldsNotEnforced\")].status}").ok().out())
        .isEqualTo("True"));
    String described = kubectl.run("describe", "cnp", "mtls").ok().out();
    assertThat(described)
        .containsPattern("Type: +Valid")
        .containsPattern("Type: +FieldsNotEnforced")
        .containsPattern("Reason: +UnsupportedFields")
        .contains("spec.ingress[0].authentication.mode: required");
    assertThat(kubectl.run("get", "cnp", "mtls").ok().out()).containsPattern("mtls +True");
  }
}
