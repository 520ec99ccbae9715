package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.identity.api.CiliumIdentity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operator derives a pod's namespace, namespace labels, service account and cluster itself: labels
 * a pod sets to claim them reach neither its identity nor the CiliumIdentity object, whether the pod is
 * created with them or gains them in an update (Cilium filtered on create only: CVE-2023-39347).
 */
class ForgedLabelsOperatorTest {
  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private HexgateOperator operator;

  @AfterEach
  void close() {
    if (operator != null) {
      operator.stop();
    }
    api.close();
  }

  private static final Map<String, String> FORGED =
      Map.of(
          "io.kubernetes.pod.namespace", "prod",
          "io.cilium.k8s.namespace.labels.team", "x",
          "io.cilium.k8s.policy.serviceaccount", "admin",
          "io.cilium.k8s.policy.cluster", "other");

  private CiliumEndpoint cep(String ns, String name) {
    return kube.resources(CiliumEndpoint.class).inNamespace(ns).withName(name).get();
  }

  private List<String> identityLabels(String ns, String name) {
    CiliumEndpoint c = cep(ns, name);
    return c == null || c.getStatus() == null || c.getStatus().identity == null ? null : c.getStatus().identity.labels;
  }

  private static void assertOnlyRealLabels(List<String> labels) {
    assertThat(labels)
        .contains(
            "k8s:app=fake",
            "k8s:io.kubernetes.pod.namespace=dev",
            "k8s:io.cilium.k8s.namespace.labels.team=y",
            "k8s:io.cilium.k8s.policy.serviceaccount=default",
            "k8s:io.cilium.k8s.policy.cluster=default")
        .noneMatch(l -> l.endsWith("=prod") || l.endsWith("=x") || l.endsWith("=admin") || l.endsWith("=other"));
  }

  @Test
  @DisplayName("CVE-2023-39347: forged security labels are ignored on create and on update")
  void cve_2023_39347_forgedSecurityLabelsIgnoredOnCreateAndUpdate() {
    operator = TestOperator.create(api.client(), new MutableClock());
    operator.start();
    kube.resource(new NamespaceBuilder().withNewMetadata().withName("dev").addToLabels("team", "y").endMetadata().build())
        .create();
    java.util.Map<String, String> created = new java.util.HashMap<>(FORGED);
    created.put("app", "fake");
    kube.resource(HexgateOperatorTest.pod("dev", "forger", "10.0.0.1", created)).create();
    kube.resource(HexgateOperatorTest.pod("dev", "honest", "10.0.0.2", Map.of("app", "fake"))).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> identityLabels("dev", "forger") != null && identityLabels("dev", "honest") != null);
    assertOnlyRealLabels(identityLabels("dev", "forger"));
    // the forged labels do not even make another identity
    assertThat(cep("dev", "forger").getStatus().identity.id).isEqualTo(cep("dev", "honest").getStatus().identity.id);

    kube.pods().inNamespace("dev").withName("honest").edit(p -> {
      p.getMetadata().getLabels().putAll(FORGED);
      p.getMetadata().getLabels().put("tier", "web");
      return p;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> identityLabels("dev", "honest").contains("k8s:tier=web"));
    assertOnlyRealLabels(identityLabels("dev", "honest"));
    CiliumIdentity identity =
        kube.resources(CiliumIdentity.class).withName(Long.toString(cep("dev", "honest").getStatus().identity.id)).get();
    assertThat(identity.getMetadata().getLabels()).containsEntry("io.kubernetes.pod.namespace", "dev");
    assertThat(identity.securityLabels)
        .containsEntry("k8s:io.kubernetes.pod.namespace", "dev")
        .containsEntry("k8s:io.cilium.k8s.policy.serviceaccount", "default")
        .doesNotContainValue("prod")
        .doesNotContainValue("admin");
  }
}
