package io.hexgate.bench.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * Pods as an API server returns them from a Deployment applied with kubectl: managed fields, the
 * last-applied annotation, a container with env, mounts, resources and probes, a sidecar, conditions and
 * container statuses. Their size is what an informer caching whole pods pays for.
 */
final class SyntheticPods {
  private SyntheticPods() {}

  static String ip(int i) {
    return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
  }

  static Pod pod(int i, String app, String node) {
    String name = "pod-" + i;
    String lastApplied =
        ("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
                + "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},\"template\":{\"metadata\":"
                + "{\"labels\":{\"app\":\"%s\",\"tier\":\"backend\"}},\"spec\":{\"containers\":[{\"name\":\"app\","
                + "\"image\":\"registry.example.org/shop/%s:1.4.%d\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080}]}]}}}}")
            .formatted(app, app, app, app, i % 10);
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("default")
            .withName(name)
            .withUid(java.util.UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString())
            .withResourceVersion(String.valueOf(100_000 + i))
            .withGenerateName(app + "-7d9f8c6b5-")
            .addToLabels("app", app)
            .addToLabels("tier", "backend")
            .addToLabels("pod-template-hash", "7d9f8c6b5")
            .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", lastApplied)
            .addToAnnotations("prometheus.io/scrape", "true")
            .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(app + "-7d9f8c6b5")
            .withUid("rs-" + app).withController(true).withBlockOwnerDeletion(true).endOwnerReference()
            .addNewManagedField().withManager("kube-controller-manager").withOperation("Update").withApiVersion("v1")
            .withTime("2026-11-23T10:00:00Z").withFieldsType("FieldsV1")
            .withNewFieldsV1().addToAdditionalProperties("f:metadata", java.util.Map.of("f:labels", java.util.Map.of("f:app", java.util.Map.of(), "f:tier", java.util.Map.of()), "f:ownerReferences", java.util.Map.of())).endFieldsV1()
            .endManagedField()
            .addNewManagedField().withManager("kubelet").withOperation("Update").withApiVersion("v1").withSubresource("status")
            .withTime("2026-11-23T10:00:05Z").withFieldsType("FieldsV1")
            .withNewFieldsV1().addToAdditionalProperties("f:status", java.util.Map.of("f:conditions", java.util.Map.of(), "f:containerStatuses", java.util.Map.of(), "f:podIP", java.util.Map.of())).endFieldsV1()
            .endManagedField()
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .withServiceAccountName("default")
            .addNewContainer()
            .withName("app")
            .withImage("registry.example.org/shop/" + app + ":1.4." + (i % 10))
            .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
            .addNewEnv().withName("LOG_LEVEL").withValue("info").endEnv()
            .addNewEnv().withName("DB_HOST").withValue("db.default.svc.cluster.local").endEnv()
            .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
            .withNewResources().addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("128Mi"))
            .addToLimits("memory", new Quantity("256Mi")).endResources()
            .addNewVolumeMount().withName("kube-api-access").withMountPath("/var/run/secrets/kubernetes.io/serviceaccount").withReadOnly(true).endVolumeMount()
            .withNewReadinessProbe().withNewHttpGet().withPath("/ready").withNewPort("http").endHttpGet().withPeriodSeconds(5).endReadinessProbe()
            .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withNewPort("http").endHttpGet().withPeriodSeconds(10).endLivenessProbe()
            .endContainer()
            .addNewContainer().withName("proxy").withImage("registry.example.org/envoy:1.31").withArgs("--config", "/etc/envoy/envoy.yaml").endContainer()
            .addNewVolume().withName("kube-api-access").withNewProjected().addNewSource().withNewServiceAccountToken()
            .withPath("token").withExpirationSeconds(3607L).endServiceAccountToken().endSource().endProjected().endVolume()
            .addNewToleration().withKey("node.kubernetes.io/not-ready").withOperator("Exists").withEffect("NoExecute").withTolerationSeconds(300L).endToleration()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP(ip(i))
            .addNewPodIP().withIp(ip(i)).endPodIP()
            .withHostIP("192.168." + (i % 200) + ".1")
            .withStartTime("2026-11-23T10:00:01Z")
            .withQosClass("Burstable")
            .endStatus();
    for (String type : new String[] {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
      b.editStatus().addNewCondition().withType(type).withStatus("True").withLastTransitionTime("2026-11-23T10:00:04Z").endCondition().endStatus();
    }
    for (String c : new String[] {"app", "proxy"}) {
      b.editStatus().addNewContainerStatus().withName(c).withReady(true).withRestartCount(0).withStarted(true)
          .withImage("registry.example.org/shop/" + app).withImageID("registry.example.org/shop/" + app + "@sha256:" + "ab".repeat(32))
          .withContainerID("containerd://" + "cd".repeat(32))
          .withNewState().withNewRunning().withStartedAt("2026-11-23T10:00:03Z").endRunning().endState()
          .endContainerStatus().endStatus();
    }
    return b.build();
  }
}
