package io.hexgate.operator.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.hexgate.operator.feed.PodEndpoints;
import io.hexgate.operator.policy.Endpoint;
import org.junit.jupiter.api.Test;

class PrunedPodsTest {
  private static Pod fullPod() {
    return new PodBuilder()
        .withNewMetadata().withNamespace("shop").withName("web-5d8f9c-x7k2p").withUid("u-1").withResourceVersion("42")
        .withGenerateName("web-5d8f9c-").addToLabels("pod-template-hash", "5d8f9c")
        .addNewOwnerReference().withKind("ReplicaSet").withName("web-5d8f9c").withController(true).endOwnerReference()
        .addNewOwnerReference().withKind("ConfigMap").withName("bookkeeping").endOwnerReference()
        .addToLabels("app", "web").addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{...}")
        .addNewManagedField().withManager("kubectl").withOperation("Apply").endManagedField()
        .endMetadata()
        .withNewSpec().withNodeName("node-1").withServiceAccountName("web").withHostNetwork(false)
        .addNewContainer().withName("c").withImage("nginx:1.27")
        .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
        .addNewPort().withContainerPort(9090).endPort()
        .addNewEnv().withName("A").withValue("b").endEnv()
        .endContainer()
        .addNewVolume().withName("v").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec()
        .withNewStatus().withPodIP("10.0.0.7").withPhase("Running")
        .addNewCondition().withType("Ready").withStatus("True").endCondition()
        .endStatus()
        .build();
  }

  @Test
  void shouldKeepWhatTheOperatorReadsAndDropTheRest() {
    Pod full = fullPod();
    Pod pruned = PrunedPods.prune(full);

    // what the engine and the CiliumEndpoint writer read is unchanged
    assertThat(PodEndpoints.toEndpoint(pruned)).isEqualTo(PodEndpoints.toEndpoint(full));
    assertThat(PodEndpoints.managed(pruned)).isTrue();
    assertThat(PodEndpoints.toEndpoint(pruned).workload()).isEqualTo(new Endpoint.Workload("web", "Deployment"));
    assertThat(pruned.getMetadata().getUid()).isEqualTo("u-1");
    assertThat(pruned.getMetadata().getResourceVersion()).isEqualTo("42");

    assertThat(pruned.getMetadata().getManagedFields()).isEmpty();
    assertThat(pruned.getMetadata().getAnnotations()).isEmpty();
    assertThat(pruned.getMetadata().getOwnerReferences()).extracting("name").containsExactly("web-5d8f9c");
    assertThat(pruned.getSpec().getVolumes()).isEmpty();
    assertThat(pruned.getSpec().getContainers().get(0).getImage()).isNull();
    assertThat(pruned.getSpec().getContainers().get(0).getEnv()).isEmpty();
    assertThat(pruned.getSpec().getContainers().get(0).getPorts()).hasSize(1);
    assertThat(pruned.getStatus().getConditions()).isEmpty();
  }

  @Test
  void shouldStorePrunedPods() {
    PrunedPods store = new PrunedPods();
    store.put(store.getKey(fullPod()), fullPod());
    assertThat(store.get("shop/web-5d8f9c-x7k2p").getMetadata().getManagedFields()).isEmpty();
    assertThat(store.get("shop/web-5d8f9c-x7k2p").getStatus().getPodIP()).isEqualTo("10.0.0.7");
  }
}
